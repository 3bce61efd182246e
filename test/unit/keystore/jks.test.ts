import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as jksJs from 'jks-js';
import { describe, expect, it } from 'vitest';
import { KeystoreFormatError, KeystorePasswordError } from '../../../core/errors.ts';
import { decodeJks, encodeJks } from '../../../core/keystore/jks.ts';
import { aPki } from '../../support/pki.ts';

const created = new Date('2026-11-01T00:00:00Z');

describe('JKS', () => {
  it('round-trips a key entry with its chain and a trusted entry', async () => {
    const pki = await aPki({ keyType: 'ec-p256', intermediates: 2 });
    const bytes = encodeJks(
      [
        { kind: 'privateKey', alias: 'Server', created, privateKey: pki.leafKey, chain: pki.chain },
        { kind: 'trustedCertificate', alias: 'root', created, certificate: pki.root },
      ],
      'pässwörd',
    );
    expect(bytes.readUInt32BE(0)).toBe(0xfeedfeed);
    const [key, trusted] = decodeJks(bytes, 'pässwörd');
    expect(key?.kind).toBe('privateKey');
    if (key?.kind !== 'privateKey' || trusted?.kind !== 'trustedCertificate')
      throw new Error('unexpected entries');
    expect(key.alias).toBe('server');
    expect(key.created).toEqual(created);
    expect(key.chain.map((c) => c.fingerprint256)).toEqual(pki.chain.map((c) => c.fingerprint256));
    expect(key.privateKey.export({ format: 'der', type: 'pkcs8' })).toEqual(
      pki.leafKey.export({ format: 'der', type: 'pkcs8' }),
    );
    expect(trusted.certificate.fingerprint256).toBe(pki.root.fingerprint256);
  });

  it('is read by jks-js, an independent reader', async () => {
    const pki = await aPki({ keyType: 'rsa-2048' });
    const bytes = encodeJks(
      [{ kind: 'privateKey', alias: 'web', created, privateKey: pki.leafKey, chain: pki.chain }],
      'changeit',
    );
    const pems = jksJs.toPem(bytes, 'changeit');
    const entry = pems.web;
    expect(entry).toBeDefined();
    expect(new X509Certificate(entry?.cert ?? '').fingerprint256).toBe(pki.leaf.fingerprint256);
    expect(createPrivateKey(entry?.key ?? '').export({ format: 'der', type: 'pkcs8' })).toEqual(
      pki.leafKey.export({ format: 'der', type: 'pkcs8' }),
    );
  });

  it('protects the key entry with a key password of its own, and jks-js reads it with that one', async () => {
    const pki = await aPki({ keyType: 'rsa-2048' });
    const bytes = encodeJks(
      [
        { kind: 'privateKey', alias: 'tomcat', created, privateKey: pki.leafKey, chain: pki.chain },
        { kind: 'trustedCertificate', alias: 'root', created, certificate: pki.root },
      ],
      'store-pass',
      'kéy-pass',
    );
    const [key, trusted] = decodeJks(bytes, 'store-pass', 'kéy-pass');
    if (key?.kind !== 'privateKey' || trusted?.kind !== 'trustedCertificate')
      throw new Error('unexpected entries');
    expect(key.privateKey.export({ format: 'der', type: 'pkcs8' })).toEqual(
      pki.leafKey.export({ format: 'der', type: 'pkcs8' }),
    );
    expect(trusted.certificate.fingerprint256).toBe(pki.root.fingerprint256);
    // The store password opens the file but not the key; the key password does not open the file.
    expect(() => decodeJks(bytes, 'store-pass')).toThrow(/wrong key password/);
    expect(() => decodeJks(bytes, 'kéy-pass', 'kéy-pass')).toThrow(/wrong keystore password/);

    const entry = jksJs.toPem(bytes, 'store-pass', 'kéy-pass').tomcat;
    expect(createPrivateKey(entry?.key ?? '').export({ format: 'der', type: 'pkcs8' })).toEqual(
      pki.leafKey.export({ format: 'der', type: 'pkcs8' }),
    );
  });

  it('refuses a wrong password and altered bytes', async () => {
    const pki = await aPki();
    const bytes = encodeJks(
      [{ kind: 'privateKey', alias: 'a', created, privateKey: pki.leafKey, chain: pki.chain }],
      'right',
    );
    expect(() => decodeJks(bytes, 'wrong')).toThrow(KeystorePasswordError);
    const altered = Buffer.from(bytes);
    altered[40] = (altered[40] ?? 0) ^ 1;
    expect(() => decodeJks(altered, 'right')).toThrow(KeystorePasswordError);
    expect(() => decodeJks(bytes.subarray(0, 30), 'right')).toThrow(KeystoreFormatError);
    expect(() => decodeJks(Buffer.from('not a keystore at all, not at all'), 'right')).toThrow(
      KeystoreFormatError,
    );
  });
});
