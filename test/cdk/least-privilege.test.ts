/**
 * Least privilege, asked request by request of an IAM policy simulator (see support/simulate.ts)
 * on the stack synthesized from the example configuration: nodes mft-1 and mft-2 (certificate
 * `files`), web-1 (certificate `web`). What each role must be able to do is allowed; what the
 * threat model in docs/security.md says it cannot do is denied.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_KEY, PENDING_CHALLENGES_KEY } from '../../core/table-keys.ts';
import { tempDir } from '../support/temp-dir.ts';
import { type Decision, type IamModel, iamModel, type SimulatedRequest } from './support/simulate.ts';
import { synth } from './support/synth.ts';

let iam: IamModel;

beforeAll(async () => {
  const dir = await tempDir('acme-ha-cdk-');
  iam = iamModel(synth({ outdir: join(dir, 'out') }).template);
});

const VIA = (service: string) => ({ 'kms:ViaService': `${service}.eu-west-1.amazonaws.com` });
const object = (key: string): string => `${iam.arnOf('StoreKeystores')}/${key}`;
const table = (): string => iam.arnOf('StoreTable');
const items = (partition: string) => ({ 'dynamodb:LeadingKeys': [partition] });

async function decisions(
  role: string,
  requests: readonly SimulatedRequest[],
): Promise<Record<string, Decision>> {
  const entries = await Promise.all(
    requests.map(async (r) => {
      const context = r.context ? ` ${JSON.stringify(r.context)}` : '';
      return [`${r.action} ${r.resource}${context}`, await iam.decide(role, r)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Every request answered with the expected decision (the failure lists each one that is not). */
async function expectAll(role: string, expected: Decision, requests: readonly SimulatedRequest[]) {
  const got = await decisions(role, requests);
  const wrong = Object.entries(got).filter(([, d]) => d !== expected);
  expect(wrong, `${role}: expected ${expected}`).toEqual([]);
}

describe('an agent (node web-1)', () => {
  it('may do its work: its queue, its certificate’s objects and items, the key through those services', async () => {
    await expectAll('Fleetweb1role', 'Allowed', [
      { action: 'sqs:ReceiveMessage', resource: iam.arnOf('Fleetweb1queue') },
      { action: 'sqs:DeleteMessage', resource: iam.arnOf('Fleetweb1queue') },
      { action: 's3:GetObject', resource: object('certificates/web/3/keystore.p12') },
      { action: 'dynamodb:GetItem', resource: table(), context: items('CERT#web') },
      { action: 'dynamodb:PutItem', resource: table(), context: items('CERT#web') },
      // Its heartbeat: one item per node; every certificate's current revision: one item.
      { action: 'dynamodb:PutItem', resource: table(), context: items('NODE#web-1') },
      { action: 'dynamodb:GetItem', resource: table(), context: items('HEAD') },
      { action: 'kms:Decrypt', resource: iam.arnOf('StoreKey'), context: VIA('s3') },
      { action: 'kms:Decrypt', resource: iam.arnOf('StoreKey'), context: VIA('sqs') },
    ]);
  });

  it('cannot read another node’s queue, another certificate, the ACME account, or write the store', async () => {
    await expectAll('Fleetweb1role', 'ImplicitlyDenied', [
      { action: 'sqs:ReceiveMessage', resource: iam.arnOf('Fleetmft1queue') },
      { action: 'sqs:ReceiveMessage', resource: iam.arnOf('Fleetweb1dlq') },
      { action: 'sqs:SendMessage', resource: iam.arnOf('Fleetweb1queue') },
      { action: 's3:GetObject', resource: object('certificates/files/1/keystore.jks') },
      { action: 's3:GetObject', resource: object('accounts/0123abcd.json') },
      { action: 's3:PutObject', resource: object('certificates/web/4/keystore.p12') },
      { action: 's3:DeleteObject', resource: object('certificates/web/3/keystore.p12') },
      { action: 'dynamodb:GetItem', resource: table(), context: items('CERT#files') },
      { action: 'dynamodb:DeleteItem', resource: table(), context: items('CERT#web') },
      { action: 'dynamodb:Scan', resource: table() },
      { action: 'dynamodb:PutItem', resource: table(), context: items('CHALLENGE#token') },
      // Another node's heartbeat, and no reading of heartbeats.
      { action: 'dynamodb:PutItem', resource: table(), context: items('NODE#web-2') },
      { action: 'dynamodb:GetItem', resource: table(), context: items('NODE#web-1') },
      // The head is the renewer's to write.
      { action: 'dynamodb:UpdateItem', resource: table(), context: items('HEAD') },
      { action: 'dynamodb:PutItem', resource: table(), context: items('HEAD') },
      { action: 'kms:Decrypt', resource: iam.arnOf('StoreKey') },
      { action: 'sns:Publish', resource: iam.arnOf('FleetEvents') },
      { action: 'lambda:InvokeFunction', resource: iam.arnOf('RenewerFunction') },
    ]);
  });

  it('nodes of one certificate share its objects, not each other’s queues', async () => {
    await expectAll('Fleetmft2role', 'Allowed', [
      { action: 's3:GetObject', resource: object('certificates/files/1/keystore.jks') },
    ]);
    await expectAll('Fleetmft2role', 'ImplicitlyDenied', [
      { action: 'sqs:ReceiveMessage', resource: iam.arnOf('Fleetmft1queue') },
      { action: 's3:GetObject', resource: object('certificates/web/3/keystore.p12') },
    ]);
  });
});

describe('the HTTP-01 responder', () => {
  it('reads challenge tokens and nothing else', async () => {
    await expectAll('ResponderFunctionRole', 'Allowed', [
      { action: 'dynamodb:GetItem', resource: table(), context: items('CHALLENGE#token') },
      // Every token in flight, in one item.
      { action: 'dynamodb:GetItem', resource: table(), context: items(PENDING_CHALLENGES_KEY.pk) },
    ]);
    await expectAll('ResponderFunctionRole', 'ImplicitlyDenied', [
      { action: 'dynamodb:GetItem', resource: table(), context: items('CERT#web') },
      { action: 'dynamodb:PutItem', resource: table(), context: items('CHALLENGE#token') },
      { action: 's3:GetObject', resource: object('certificates/web/3/keystore.p12') },
      { action: 'sqs:ReceiveMessage', resource: iam.arnOf('Fleetweb1queue') },
    ]);
  });
});

describe('the renewer', () => {
  it('writes keystores and accounts and announces, but reads no node queue and cannot delete objects', async () => {
    await expectAll('RenewerFunctionRole', 'Allowed', [
      { action: 's3:PutObject', resource: object('certificates/web/4/keystore.p12') },
      { action: 's3:GetObject', resource: object('accounts/0123abcd.json') },
      { action: 'sns:Publish', resource: iam.arnOf('FleetEvents') },
      { action: 'dynamodb:UpdateItem', resource: table(), context: items('CERT#web') },
      { action: 'dynamodb:UpdateItem', resource: table(), context: items(PENDING_CHALLENGES_KEY.pk) },
      { action: 'dynamodb:UpdateItem', resource: table(), context: items(CATALOG_KEY.pk) },
      { action: 'dynamodb:UpdateItem', resource: table(), context: items('HEAD') },
    ]);
    await expectAll('RenewerFunctionRole', 'ImplicitlyDenied', [
      { action: 'sqs:ReceiveMessage', resource: iam.arnOf('Fleetweb1queue') },
      { action: 's3:DeleteObject', resource: object('certificates/web/3/keystore.p12') },
      { action: 's3:PutObject', resource: object('elsewhere/file') },
      { action: 'kms:Decrypt', resource: iam.arnOf('StoreKey') },
    ]);
  });
});

describe('the fleet-watch function', () => {
  it('reads certificates’ items (retired ones too) and the catalog, nothing else, and writes nothing', async () => {
    await expectAll('FleetWatchFunctionRole', 'Allowed', [
      { action: 'dynamodb:GetItem', resource: table(), context: items('CERT#web') },
      { action: 'dynamodb:Query', resource: table(), context: items('CERT#files') },
      // A retired certificate: no longer in the configuration, still watched while nodes hold it.
      { action: 'dynamodb:Query', resource: table(), context: items('CERT#retired') },
      { action: 'dynamodb:GetItem', resource: table(), context: items('CATALOG') },
      // The nodes' heartbeats, 100 a call.
      { action: 'dynamodb:BatchGetItem', resource: table(), context: items('NODE#web-1') },
      { action: 'kms:Decrypt', resource: iam.arnOf('StoreKey'), context: VIA('dynamodb') },
    ]);
    await expectAll('FleetWatchFunctionRole', 'ImplicitlyDenied', [
      { action: 'dynamodb:GetItem', resource: table(), context: items('ACCOUNT#ca') },
      { action: 'dynamodb:GetItem', resource: table(), context: items('CATALOGUE') },
      { action: 'dynamodb:GetItem', resource: table(), context: items('CHALLENGE#token') },
      { action: 'dynamodb:GetItem', resource: table(), context: items('LOCK#renew/web') },
      { action: 'dynamodb:PutItem', resource: table(), context: items('CERT#web') },
      { action: 'dynamodb:PutItem', resource: table(), context: items('NODE#web-1') },
      { action: 'dynamodb:BatchGetItem', resource: table(), context: items('CHALLENGE#token') },
      { action: 'dynamodb:UpdateItem', resource: table(), context: items('CERT#web') },
      { action: 'dynamodb:DeleteItem', resource: table(), context: items('CERT#web') },
      { action: 'dynamodb:Scan', resource: table() },
      { action: 'kms:Decrypt', resource: iam.arnOf('StoreKey'), context: VIA('s3') },
      { action: 's3:GetObject', resource: object('certificates/web/3/keystore.p12') },
      { action: 'sqs:ReceiveMessage', resource: iam.arnOf('Fleetweb1queue') },
      { action: 'sns:Publish', resource: iam.arnOf('FleetEvents') },
      { action: 'cloudwatch:PutMetricData', resource: '*' },
    ]);
  });
});

describe('the bucket', () => {
  it('refuses requests without TLS even from roles allowed to read', async () => {
    const plain = { 'aws:SecureTransport': 'false' };
    await expectAll('Fleetweb1role', 'ExplicitlyDenied', [
      { action: 's3:GetObject', resource: object('certificates/web/3/keystore.p12'), context: plain },
    ]);
  });
});
