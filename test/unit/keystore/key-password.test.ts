/**
 * A key entry with a password of its own (Tomcat's `certificateKeyPassword`, Jetty's
 * `keyManagerPassword`): `buildKeystore` writes it, `openKeystore` and `inspectKeystore` read it
 * back, and without one everything stays as it was (the store password protects the key).
 */
import { describe, expect, it } from 'vitest';
import { KeystorePasswordError } from '../../../core/errors.ts';
import {
  buildKeystore,
  inspectKeystore,
  type KeystoreOptions,
  openKeystore,
} from '../../../core/keystore/keystore.ts';
import { aPki } from '../../support/pki.ts';

const created = new Date();
const der = (key: { export(o: { format: 'der'; type: 'pkcs8' }): Buffer } | null) =>
  key?.export({ format: 'der', type: 'pkcs8' });

async function fileOf(options: Omit<KeystoreOptions, 'alias' | 'created'>) {
  const pki = await aPki();
  const output = buildKeystore(
    { privateKey: pki.leafKey, chain: pki.chain },
    { alias: 'server', created, ...options },
  );
  if (output.kind !== 'file') throw new Error('expected one file');
  return { pki, bytes: output.bytes };
}

describe.each(['jks', 'pkcs12'] as const)('%s with a key password', (format) => {
  it('opens with both passwords, and is refused with the store password alone', async () => {
    const { pki, bytes } = await fileOf({ format, password: 'store-pass', keyPassword: 'key-pass' });
    const opened = openKeystore(bytes, 'store-pass', 'server.ks', 'key-pass');
    expect(opened).toMatchObject({ format, alias: 'server' });
    expect(der(opened.privateKey)).toEqual(der(pki.leafKey));
    expect(inspectKeystore(bytes, 'store-pass', 'server.ks', 'key-pass').keyMatchesCertificate).toBe(true);
    expect(() => openKeystore(bytes, 'store-pass', 'server.ks')).toThrow(KeystorePasswordError);
    expect(() => openKeystore(bytes, 'store-pass', 'server.ks')).toThrow(/wrong key password/);
    expect(() => openKeystore(bytes, 'key-pass', 'server.ks', 'key-pass')).toThrow(KeystorePasswordError);
  });

  it('without one, the store password protects the key, as before', async () => {
    const { pki, bytes } = await fileOf({ format, password: 'changeit' });
    expect(der(openKeystore(bytes, 'changeit', 'server.ks').privateKey)).toEqual(der(pki.leafKey));
    expect(der(openKeystore(bytes, 'changeit', 'server.ks', 'changeit').privateKey)).toEqual(
      der(pki.leafKey),
    );
    // An empty key password when reading means "none": the store password.
    expect(der(openKeystore(bytes, 'changeit', 'server.ks', '').privateKey)).toEqual(der(pki.leafKey));
  });

  it('refuses an empty key password when writing', async () => {
    await expect(fileOf({ format, password: 'changeit', keyPassword: '' })).rejects.toThrow(
      /the key password must not be empty/,
    );
  });
});

describe('key password refusals', () => {
  it('refuses a non-ASCII PKCS#12 key password, which Java 17 would refuse', async () => {
    await expect(fileOf({ format: 'pkcs12', password: 'changeit', keyPassword: 'kéy' })).rejects.toThrow(
      /PKCS#12 passwords must be printable ASCII/,
    );
  });

  it('accepts a non-ASCII JKS key password (Java reads it as UTF-16)', async () => {
    const { bytes } = await fileOf({ format: 'jks', password: 'changeit', keyPassword: 'kéy-🔐' });
    expect(openKeystore(bytes, 'changeit', 'x.jks', 'kéy-🔐').privateKey).not.toBeNull();
  });

  it('refuses a key password for PEM, whose key is written unencrypted', async () => {
    const pki = await aPki();
    expect(() =>
      buildKeystore(
        { privateKey: pki.leafKey, chain: pki.chain },
        { format: 'pem', alias: 'x', created, keyPassword: 'key-pass' },
      ),
    ).toThrow(KeystorePasswordError);
  });
});
