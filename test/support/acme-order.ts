/**
 * Orders a certificate from the embedded stack's Pebble over HTTP-01 with the bare acme-client,
 * storing tokens in DynamoDB for the stack's responder — the proof that the stack works end to
 * end, until the production ACME adapter (adapters/acme/, a later issue) takes this role.
 */
import { Agent } from 'node:https';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
// biome-ignore lint/style/noRestrictedImports: test-only use of the bare client until adapters/acme/ exists (later issue); nothing in production imports this file.
import * as acme from 'acme-client';
import { challengeKey } from '../../core/table-keys.ts';
import type { LocalStack } from '../../local/stack.ts';

export interface OrderOptions {
  readonly domains: readonly [string, ...string[]];
  /** Retries of a request that Pebble answered with badNonce (acme-client's default is 5). */
  readonly badNonceRetries?: number;
  readonly externalAccountBinding?: { readonly kid: string; readonly hmacKey: string };
}

export interface OrderResult {
  /** PEM: leaf first, then the intermediate. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** acme-client's log lines (badNonce retries show up here). */
  readonly log: readonly string[];
}

/** The fields of acme-client's internals we tune; not part of its typed API. */
interface AcmeClientInternals {
  readonly http: { maxBadNonceRetries: number };
}

/**
 * Runs one complete order. Tokens are written by challengeCreateFn and deleted by
 * challengeRemoveFn, as the renew Lambda will do.
 * @throws whatever acme-client throws when the order fails
 */
export async function orderCertificate(stack: LocalStack, options: OrderOptions): Promise<OrderResult> {
  const pebble = stack.pebble;
  if (!pebble) throw new Error('the stack runs without Pebble');
  const log: string[] = [];
  acme.setLogger((line) => log.push(line));
  // NODE_EXTRA_CA_CERTS is taken machine-wide here; trust Pebble's listener on this client only.
  const agent = new Agent({ ca: pebble.caPem });
  const previousAgent: unknown = acme.axios.defaults.httpsAgent;
  acme.axios.defaults.httpsAgent = agent;
  const dynamodb = new DynamoDBClient(stack.clientConfigs.dynamodb);
  const table = stack.resources.tableName;
  try {
    const client = new acme.Client({
      directoryUrl: pebble.directoryUrl,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
      // acme-client waits 5 s between polls by default; Pebble validates within milliseconds.
      backoffMin: 100,
      backoffMax: 500,
      backoffAttempts: 30,
      ...(options.externalAccountBinding ? { externalAccountBinding: options.externalAccountBinding } : {}),
    });
    if (options.badNonceRetries !== undefined) {
      (client as unknown as AcmeClientInternals).http.maxBadNonceRetries = options.badNonceRetries;
    }
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: options.domains[0], altNames: [...options.domains] },
      await acme.crypto.createPrivateEcdsaKey(),
    );
    const certificatePem = await client.auto({
      csr,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // Its self-check resolves the names through the system resolver on port 80: not here.
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') throw new Error(`unexpected challenge ${challenge.type}`);
        const itemKey = challengeKey(challenge.token);
        await dynamodb.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: itemKey.pk },
              sk: { S: itemKey.sk },
              keyAuthorization: { S: keyAuthorization },
              identifier: { S: authz.identifier.value },
              expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
            },
          }),
        );
      },
      challengeRemoveFn: async (_authz, challenge) => {
        const itemKey = challengeKey(challenge.token);
        await dynamodb.send(
          new DeleteItemCommand({ TableName: table, Key: { pk: { S: itemKey.pk }, sk: { S: itemKey.sk } } }),
        );
      },
    });
    return { certificatePem, privateKeyPem: key.toString(), log };
  } finally {
    dynamodb.destroy();
    acme.axios.defaults.httpsAgent = previousAgent;
    agent.destroy();
    acme.setLogger(() => {});
  }
}
