/**
 * `acme-ha revoke` and `acme-ha account rollover` as a user runs them (the built CLI in a child
 * process) against the embedded stack and Pebble: Pebble reports the certificate revoked with the
 * reason given, `plan` finds it due, `--renew` replaces it (with a new key after keyCompromise, even
 * under key reuse); after a rollover the next order signs with the new key, which is the one saved.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoredAccountStore } from '../../../adapters/acme/stored-account-store.ts';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import { readCertificates } from '../../../core/keystore/pem.ts';
import type { RenewalPlan } from '../../../core/renewal/plan-renewals.ts';
import { runRenewals } from '../../../core/renewal/run-renewals.ts';
import type { ControlPlane } from '../../../functions/commons/compose-control-plane.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { runCli } from '../../support/cli.ts';
import { aControlPlane } from '../../support/control-plane.ts';
import { tempDir } from '../../support/temp-dir.ts';

let stack: LocalStack;
let clients: AwsClients;
let plane: ControlPlane;
let configFile: string;

const CONFIG = (directory: string) =>
  JSON.stringify({
    version: 1,
    defaults: { directory },
    certificates: [
      {
        id: 'app',
        domains: ['app.acme-ha.test'],
        key: { rotation: 'reuse' },
        keystores: [{ format: 'pem' }],
      },
      { id: 'never', domains: ['never.acme-ha.test'], keystores: [{ format: 'pem' }] },
    ],
  });

beforeAll(async () => {
  stack = await startLocalStack({ prefix: 'revoke', env: { ...process.env, PEBBLE_VA_ALWAYS_VALID: '1' } });
  clients = createAwsClients(stack.clientConfigs);
  plane = aControlPlane(stack, clients);
  const directory = stack.pebble?.directoryUrl ?? '';
  configFile = join(await tempDir('acme-ha-revoke-'), 'acme-ha.yaml');
  await writeFile(configFile, CONFIG(directory));
  const [issued] = (
    await runRenewals(parseConfig(CONFIG(directory), 'test'), plane, { certificateId: 'app' })
  ).outcomes;
  expect(issued?.result).toBe('renewed');
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  await stack?.stop();
});

const cli = (args: string[]) => runCli(args, stack.env);
/** `acme-ha revoke` of `certificate` with the test's configuration. */
const revokeCli = (certificate: string, ...more: string[]) =>
  cli(['revoke', '--config', configFile, '--certificate', certificate, ...more]);

/** The current revision's leaf and the SHA-256 of its public key. */
async function currentLeaf(id: string): Promise<{ serial: string; key: string }> {
  const object = (await plane.state.get(id)).current?.objects.find((o) => o.name === 'cert.pem');
  if (!object) throw new Error(`no cert.pem for ${id}`);
  const [leaf] = readCertificates((await plane.keystores.get(object.key)).toString(), object.key);
  if (!leaf) throw new Error('no leaf');
  return {
    serial: leaf.serialNumber.toLowerCase(),
    key: createHash('sha256')
      .update(leaf.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
}

describe('acme-ha revoke', () => {
  it('revokes at the CA with the reason, records it; plan finds it due; --renew replaces it with a new key', async () => {
    const first = await currentLeaf('app');
    const revoked = await revokeCli('app', '--reason', 'keyCompromise');
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(
      /^app: revision 1 \(serial [0-9a-f]+\) revoked \(keyCompromise\); the next run replaces it\n$/,
    );
    expect(await stack.pebble?.certificateStatus(first.serial)).toEqual({ status: 'Revoked', reason: 1 });
    expect((await plane.state.get('app')).revocation).toMatchObject({ revision: 1, reason: 'keyCompromise' });

    const planned = await cli(['plan', '--config', configFile, '--certificate', 'app', '--json']);
    const [entry] = (JSON.parse(planned.stdout) as { certificates: RenewalPlan[] }).certificates;
    expect(entry).toMatchObject({ due: true, reason: 'revoked', nextRevision: 2 });

    // Revoked already: the CA is not asked again; --renew orders the replacement now.
    const renewed = await revokeCli('app', '--renew', '--json');
    expect(renewed.code).toBe(0);
    const answer = JSON.parse(renewed.stdout) as {
      revoked: { revision: number; already: boolean };
      renewal: { result: string; reason: string; revision: number };
    };
    expect(answer.revoked).toMatchObject({ revision: 1, already: true });
    expect(answer.renewal).toMatchObject({ result: 'renewed', reason: 'revoked', revision: 2 });
    const second = await currentLeaf('app');
    expect(second.key).not.toBe(first.key);
    expect(await stack.pebble?.certificateStatus(second.serial)).toEqual({ status: 'Valid', reason: null });
  });

  it('refuses bad input with one line and changes nothing', async () => {
    const unknownReason = await revokeCli('app', '--reason', 'oops');
    expect(unknownReason.code).toBe(2);
    expect(unknownReason.stderr).toContain("argument 'oops' is invalid");
    const unknown = await revokeCli('nope');
    expect([unknown.code, unknown.stderr.trim()]).toEqual([
      3,
      `acme-ha: no certificate nope in ${configFile}`,
    ]);
    const never = await revokeCli('never');
    expect([never.code, never.stderr.trim()]).toEqual([3, 'acme-ha: never has no revision to revoke']);
    expect((await plane.state.get('never')).revocation).toBeNull();
  });
});

describe('acme-ha account rollover', () => {
  it('replaces the account key at the CA and in the store; the next order signs with it', async () => {
    const accounts = new StoredAccountStore(plane.keystores);
    const directory = stack.pebble?.directoryUrl ?? '';
    const before = await accounts.load(directory);
    const rolled = await cli(['account', 'rollover', '--config', configFile, '--json']);
    expect(rolled.stderr).toBe('');
    expect(rolled.code).toBe(0);
    expect(JSON.parse(rolled.stdout)).toEqual({
      accounts: [{ directory, result: 'rolled-over', url: before?.url }],
    });
    const after = await accounts.load(directory);
    expect(after?.url).toBe(before?.url);
    expect(after?.keyPem).not.toBe(before?.keyPem);
    // The next order, on the saved (new) key.
    const forced = await cli(['renew', '--config', configFile, '--certificate', 'app', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect((JSON.parse(forced.stdout) as { outcomes: { result: string }[] }).outcomes[0]?.result).toBe(
      'renewed',
    );
    // The account now answers to the new key only (a signed account update with each).
    const withKey = (keyPem: string) =>
      new acme.Client({ directoryUrl: directory, accountKey: keyPem, accountUrl: after?.url ?? '' });
    await expect(withKey(before?.keyPem ?? '').updateAccount({})).rejects.toThrow();
    await expect(withKey(after?.keyPem ?? '').updateAccount({})).resolves.toMatchObject({ status: 'valid' });
  });
});
