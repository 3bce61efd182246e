import { describe, expect, it } from 'vitest';
import {
  CertificateValidityError,
  ChainOrderError,
  InvalidPemError,
  KeyMismatchError,
} from '../../../core/errors.ts';
import { summarizeCertificate } from '../../../core/keystore/certificate.ts';
import { checkMaterial } from '../../../core/keystore/material.ts';
import { readCertificates, readPrivateKey } from '../../../core/keystore/pem.ts';
import { aPki, keyPemOf, pemOf } from '../../support/pki.ts';

const now = new Date();

describe('checkMaterial', () => {
  it('accepts a key, its leaf and an ordered chain', async () => {
    const pki = await aPki({ intermediates: 2 });
    expect(checkMaterial({ privateKey: pki.leafKey, chain: pki.chain }, { now })).toEqual([]);
  });

  it('refuses a key of another certificate', async () => {
    const [a, b] = await Promise.all([aPki(), aPki()]);
    expect(() => checkMaterial({ privateKey: b.leafKey, chain: a.chain }, { now })).toThrow(KeyMismatchError);
  });

  it('refuses an RSA key with an EC certificate', async () => {
    const [ec, rsa] = await Promise.all([aPki({ keyType: 'ec-p256' }), aPki({ keyType: 'rsa-2048' })]);
    expect(() => checkMaterial({ privateKey: rsa.leafKey, chain: ec.chain }, { now })).toThrow(
      KeyMismatchError,
    );
  });

  it('names the position of a chain out of order', async () => {
    const pki = await aPki({ intermediates: 2 });
    const [leaf, first, second] = pki.chain;
    if (!first || !second) throw new Error('two intermediates expected');
    const error = (() => {
      try {
        checkMaterial({ privateKey: pki.leafKey, chain: [leaf, second, first] }, { now });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ChainOrderError);
    expect((error as ChainOrderError).position).toBe(0);
  });

  it('refuses an expired or not yet valid certificate unless allowed, then warns', async () => {
    const day = 86_400_000;
    const expired = await aPki({
      notBefore: new Date(Date.now() - 10 * day),
      notAfter: new Date(Date.now() - day),
    });
    const future = await aPki({
      notBefore: new Date(Date.now() + day),
      notAfter: new Date(Date.now() + 10 * day),
    });
    expect(() => checkMaterial({ privateKey: expired.leafKey, chain: expired.chain }, { now })).toThrow(
      /expired/,
    );
    expect(() => checkMaterial({ privateKey: future.leafKey, chain: future.chain }, { now })).toThrow(
      CertificateValidityError,
    );
    const warnings = checkMaterial(
      { privateKey: expired.leafKey, chain: expired.chain },
      { now, allowExpired: true },
    );
    expect(warnings).toEqual([expect.stringMatching(/^certificate expired: notAfter /)]);
  });
});

describe('PEM input', () => {
  it('reads certificates in order and one key', async () => {
    const pki = await aPki({ intermediates: 2 });
    const certs = readCertificates(`subject=CN = x\n${pemOf(pki.chain)}`, 'chain.pem');
    expect(certs.map((c) => c.fingerprint256)).toEqual(pki.chain.map((c) => c.fingerprint256));
    expect(readPrivateKey(keyPemOf(pki.leafKey), 'key.pem').asymmetricKeyType).toBe('ec');
  });

  it.each([
    ['garbage', 'hello', /no PEM block/],
    [
      'a key where a certificate is expected',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      /no CERTIFICATE/,
    ],
    [
      'a broken certificate',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      /not a valid X\.509/,
    ],
  ])('refuses %s as certificates', (_name, text, message) => {
    expect(() => readCertificates(text, 'in.pem')).toThrow(InvalidPemError);
    expect(() => readCertificates(text, 'in.pem')).toThrow(message);
  });

  it('refuses an encrypted key and a broken key', async () => {
    const pki = await aPki();
    const encrypted = pki.leafKey.export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'x',
    });
    expect(() => readPrivateKey(encrypted.toString(), 'k.pem')).toThrow(/encrypted; decrypt it first/);
    expect(() =>
      readPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'k.pem'),
    ).toThrow(/cannot be decoded/);
  });
});

describe('summarizeCertificate', () => {
  it('reports names, serial and fingerprint in stable forms', async () => {
    const pki = await aPki({ sans: ['a.example.test', 'b.example.test', '10.0.0.1'] });
    const summary = summarizeCertificate(pki.leaf);
    expect(summary.sans).toEqual(['a.example.test', 'b.example.test', '10.0.0.1']);
    expect(summary.serial).toMatch(/^[0-9a-f]+$/);
    expect(summary.sha256Fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.subject).toBe('CN=a.example.test');
    expect(new Date(summary.notAfter).getTime()).toBe(new Date(pki.leaf.validTo).getTime());
  });
});
