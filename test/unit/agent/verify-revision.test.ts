import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemoryKeystoreStore } from '../../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryStateStore } from '../../../adapters/memory/in-memory-state-store.ts';
import { EnvSecretResolver } from '../../../adapters/secrets/env-secret-resolver.ts';
import { keysToDownload, type TargetSelection, verifyRevision } from '../../../core/agent/verify-revision.ts';
import { storeRevisionObjects } from '../../../core/renewal/publish-revision.ts';
import type { Revision } from '../../../core/renewal/types.ts';
import { aServerPki } from '../../support/agent-keystores.ts';
import { aCertificateConfig, publishRevision } from '../../support/agent-revisions.ts';

const PEM_TARGET: TargetSelection = {
  format: 'pem',
  pemFiles: ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem', 'combined.pem'],
  password: undefined,
  alias: undefined,
  names: ['app.acme-ha.test'],
};

/** A revision and its bytes, as the renewer stores them. */
async function aPublishedRevision(): Promise<{ revision: Revision; bytes: Map<string, Buffer> }> {
  const stores = { state: new InMemoryStateStore(), keystores: new InMemoryKeystoreStore() };
  const revision = await publishRevision(stores, 'app', await aServerPki());
  return { revision, bytes: new Map(stores.keystores.objects) };
}

/**
 * The record rewritten to hash `name`'s new bytes, as a forger able to write both the record and
 * the objects would (a pinned DMZ pusher sends both): the checksums then agree.
 */
function forged(revision: Revision, bytes: Map<string, Buffer>, name: string, replacement: Buffer): Revision {
  const objects = revision.objects.map((o) => {
    if (o.format !== 'pem' || o.name !== name) return o;
    bytes.set(o.key, replacement);
    return { ...o, size: replacement.length, sha256: createHash('sha256').update(replacement).digest('hex') };
  });
  return { ...revision, objects };
}

describe('verifyRevision of a PEM target', () => {
  let other: Awaited<ReturnType<typeof aPublishedRevision>>;
  beforeAll(async () => {
    other = await aPublishedRevision();
  });
  const pemOf = (published: Awaited<ReturnType<typeof aPublishedRevision>>, name: string): Buffer => {
    const object = published.revision.objects.find((o) => o.format === 'pem' && o.name === name);
    return published.bytes.get(object?.key ?? '') ?? Buffer.alloc(0);
  };

  it('accepts the files the renewer wrote', async () => {
    const { revision, bytes } = await aPublishedRevision();
    expect(() => verifyRevision(revision, PEM_TARGET, bytes, new Date())).not.toThrow();
  });

  it.each(['cert.pem', 'chain.pem', 'combined.pem'])(
    'refuses a %s cut from another certificate, even when the record hashes it',
    async (name) => {
      const { revision, bytes } = await aPublishedRevision();
      const record = forged(revision, bytes, name, pemOf(other, name));
      expect(() => verifyRevision(record, PEM_TARGET, bytes, new Date())).toThrow(
        expect.objectContaining({ code: 'PEM_FILES_DISAGREE', message: expect.stringContaining(name) }),
      );
    },
  );

  it('a target that installs only combined.pem refuses one of another certificate from that object alone', async () => {
    const { revision, bytes } = await aPublishedRevision();
    const record = forged(revision, bytes, 'combined.pem', pemOf(other, 'combined.pem'));
    const narrow = { ...PEM_TARGET, pemFiles: ['combined.pem'] };
    const fetched = new Map(
      keysToDownload(record, narrow).map((key) => [key, bytes.get(key) ?? Buffer.alloc(0)]),
    );
    expect(fetched.size).toBe(1);
    expect(() => verifyRevision(record, narrow, fetched, new Date())).toThrow(
      expect.objectContaining({ code: 'SERIAL_MISMATCH' }),
    );
  });

  it('a target that installs only cert.pem and privkey.pem is still judged on the whole bundle', async () => {
    const { revision, bytes } = await aPublishedRevision();
    const record = forged(revision, bytes, 'cert.pem', pemOf(other, 'cert.pem'));
    const narrow = { ...PEM_TARGET, pemFiles: ['cert.pem', 'privkey.pem'] };
    expect(() => verifyRevision(record, narrow, bytes, new Date())).toThrow(
      expect.objectContaining({ code: 'PEM_FILES_DISAGREE' }),
    );
  });
});

describe('keysToDownload of a PEM target', () => {
  const names = (revision: Revision, keys: readonly string[]) =>
    keys.map((key) => revision.objects.find((o) => o.key === key)?.name).sort();
  const selecting = (pemFiles: string[]) => ({ ...PEM_TARGET, pemFiles });

  it('fetches only combined.pem for a target that installs only it (it holds the key and the chain)', async () => {
    const { revision } = await aPublishedRevision();
    expect(names(revision, keysToDownload(revision, selecting(['combined.pem'])))).toEqual(['combined.pem']);
  });

  it('adds combined.pem to files that hold neither the whole chain nor the key with it', async () => {
    const { revision } = await aPublishedRevision();
    expect(names(revision, keysToDownload(revision, selecting(['cert.pem', 'privkey.pem'])))).toEqual([
      'cert.pem',
      'combined.pem',
      'privkey.pem',
    ]);
    expect(names(revision, keysToDownload(revision, selecting(['fullchain.pem', 'privkey.pem'])))).toEqual([
      'fullchain.pem',
      'privkey.pem',
    ]);
  });

  it('falls back on fullchain.pem + privkey.pem for a revision without combined.pem', async () => {
    const { revision } = await aPublishedRevision();
    const without = { ...revision, objects: revision.objects.filter((o) => o.name !== 'combined.pem') };
    expect(names(without, keysToDownload(without, selecting(['cert.pem'])))).toEqual([
      'cert.pem',
      'fullchain.pem',
      'privkey.pem',
    ]);
  });
});

describe('verifyRevision of a keystore whose key entry has a password of its own', () => {
  /** A revision the renewer built with a store password and a key password, each from its secret. */
  async function aRevisionWithKeyPassword(format: 'jks' | 'pkcs12', alias = 'server') {
    const keystores = new InMemoryKeystoreStore();
    const pki = await aServerPki();
    const revision = await storeRevisionObjects({
      cert: {
        ...aCertificateConfig('app'),
        keystores: [{ format, alias, password: { env: 'KS_PASS' }, keyPassword: { env: 'KEY_PASS' } }],
      },
      material: { privateKey: pki.leafKey, chain: pki.chain },
      revision: 1,
      directory: 'https://ca.invalid/directory',
      configHash: 'test',
      now: new Date(),
      keystores,
      secrets: new EnvSecretResolver({ KS_PASS: 'store-pass', KEY_PASS: 'key-pass' }),
    });
    return { revision, bytes: new Map(keystores.objects) };
  }
  const target = (format: 'jks' | 'pkcs12', keyPassword?: string, alias = 'server'): TargetSelection => ({
    format,
    pemFiles: [],
    password: 'store-pass',
    keyPassword,
    alias,
    names: [],
  });

  it.each(['jks', 'pkcs12'] as const)(
    '%s: accepted with the key password, refused without it',
    async (format) => {
      const { revision, bytes } = await aRevisionWithKeyPassword(format);
      expect(() => verifyRevision(revision, target(format, 'key-pass'), bytes, new Date())).not.toThrow();
      for (const selection of [target(format), target(format, 'wrong')])
        expect(() => verifyRevision(revision, selection, bytes, new Date())).toThrow(
          expect.objectContaining({
            code: 'KEYSTORE_PASSWORD',
            message: expect.stringMatching(/wrong key password/),
          }),
        );
    },
  );

  it.each(['jks', 'pkcs12'] as const)(
    '%s: the alias matches in any case, as Java looks it up (JKS stores it lower-cased, PKCS#12 as given)',
    async (format) => {
      const { revision, bytes } = await aRevisionWithKeyPassword(format, 'Tomcat');
      for (const alias of ['Tomcat', 'tomcat', 'TOMCAT'])
        expect(() =>
          verifyRevision(revision, target(format, 'key-pass', alias), bytes, new Date()),
        ).not.toThrow();
      expect(() => verifyRevision(revision, target(format, 'key-pass', 'jetty'), bytes, new Date())).toThrow(
        /the key entry is tomcat, not jetty/i,
      );
    },
  );
});
