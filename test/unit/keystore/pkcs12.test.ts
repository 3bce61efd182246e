import { describe, expect, it } from 'vitest';
import { KeystoreFormatError, KeystorePasswordError } from '../../../core/errors.ts';
import { decodePkcs12, encodePkcs12 } from '../../../core/keystore/pkcs12.ts';
import { aPki } from '../../support/pki.ts';

const der = (key: { export(o: { format: 'der'; type: 'pkcs8' }): Buffer }) =>
  key.export({ format: 'der', type: 'pkcs8' });

describe('PKCS#12', () => {
  it.each(['ec-p256', 'rsa-2048'] as const)('round-trips a %s key with alias and chain', async (keyType) => {
    const pki = await aPki({ keyType, intermediates: 2 });
    const bytes = encodePkcs12({ privateKey: pki.leafKey, chain: pki.chain }, 'My Server', 'changeit');
    const { alias, material } = decodePkcs12(bytes, 'changeit');
    expect(alias).toBe('My Server');
    expect(material.chain.map((c) => c.fingerprint256)).toEqual(pki.chain.map((c) => c.fingerprint256));
    expect(der(material.privateKey)).toEqual(der(pki.leafKey));
  });

  it('encrypts the key with a key password of its own; the MAC keeps the store password', async () => {
    const pki = await aPki({ intermediates: 1 });
    const bytes = encodePkcs12(
      { privateKey: pki.leafKey, chain: pki.chain },
      'jetty',
      'store-pass',
      'key-pass',
    );
    const { alias, material } = decodePkcs12(bytes, 'store-pass', 'key-pass');
    expect(alias).toBe('jetty');
    expect(material.chain.map((c) => c.fingerprint256)).toEqual(pki.chain.map((c) => c.fingerprint256));
    expect(der(material.privateKey)).toEqual(der(pki.leafKey));
    expect(() => decodePkcs12(bytes, 'store-pass')).toThrow(KeystorePasswordError);
    expect(() => decodePkcs12(bytes, 'store-pass')).toThrow(/wrong key password/);
    expect(() => decodePkcs12(bytes, 'key-pass', 'key-pass')).toThrow(KeystorePasswordError);
  });

  it('a wrong key password is always reported as one, also when the padding happens to look right', async () => {
    // About one wrong password in a hundred decrypts to plausible padding and garbage; each encoding
    // has its own salt and IV, so 300 of them meet that case with a probability of about 95 %.
    const pki = await aPki();
    for (let i = 0; i < 300; i++) {
      const bytes = encodePkcs12(
        { privateKey: pki.leafKey, chain: pki.chain },
        'a',
        'store-pass',
        'key-pass',
      );
      expect(() => decodePkcs12(bytes, 'store-pass', 'not-the-key-pass'), `encoding ${i}`).toThrow(
        /wrong key password/,
      );
    }
  });

  it('refuses a wrong password and garbage', async () => {
    const pki = await aPki();
    const bytes = encodePkcs12({ privateKey: pki.leafKey, chain: pki.chain }, 'a', 'right');
    expect(() => decodePkcs12(bytes, 'wrong')).toThrow(KeystorePasswordError);
    expect(() => decodePkcs12(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x03]), 'right')).toThrow(
      KeystoreFormatError,
    );
  });
});
