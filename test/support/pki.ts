/**
 * Test fixture builders: a throw-away PKI (root, intermediates, leaf) made in memory with
 * @peculiar/x509, so every test states the certificate it needs instead of loading stored blobs.
 */
import 'reflect-metadata';
import { createPrivateKey, type KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

export type TestKeyType = 'ec-p256' | 'rsa-2048';

const ALGORITHMS: Record<TestKeyType, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams> = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-2048': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
};
const SIGNING: Record<TestKeyType, webcrypto.Algorithm | webcrypto.EcdsaParams> = {
  'ec-p256': { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5' },
};

interface Issued {
  readonly cert: X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly keyType: TestKeyType;
}

export interface TestPki {
  readonly root: X509Certificate;
  /** Intermediates, the one that issued the leaf first. */
  readonly intermediates: readonly X509Certificate[];
  readonly leaf: X509Certificate;
  readonly leafKey: KeyObject;
  /** leaf first, then intermediates (no root), as servers send it */
  readonly chain: readonly [X509Certificate, ...X509Certificate[]];
}

export interface PkiOptions {
  readonly keyType?: TestKeyType;
  readonly intermediates?: number;
  readonly sans?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

const DAY = 86_400_000;

async function issue(
  subject: string,
  keyType: TestKeyType,
  issuer: Issued | null,
  extras: { ca: boolean; sans?: readonly string[]; notBefore?: Date; notAfter?: Date },
): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHMS[keyType], true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(extras.ca, undefined, true),
    new x509.KeyUsagesExtension(
      extras.ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  if (extras.sans?.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        extras.sans.map((n) => ({ type: /^[\d.]+$/.test(n) ? 'ip' : 'dns', value: n })),
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    subject: `CN=${subject}`,
    issuer: issuer ? issuer.cert.subject.replaceAll('\n', ', ') : `CN=${subject}`,
    notBefore: extras.notBefore ?? new Date(Date.now() - DAY),
    notAfter: extras.notAfter ?? new Date(Date.now() + 90 * DAY),
    signingAlgorithm: SIGNING[issuer?.keyType ?? keyType],
    publicKey: keys.publicKey,
    signingKey: (issuer ?? { keys }).keys.privateKey,
    extensions,
  });
  return { cert: new X509Certificate(Buffer.from(cert.rawData)), keys, keyType };
}

/** A root, `intermediates` intermediates (default 1) and a leaf for `sans` (default localhost). */
export async function aPki(options: PkiOptions = {}): Promise<TestPki> {
  const keyType = options.keyType ?? 'ec-p256';
  const sans = options.sans ?? ['localhost', '127.0.0.1'];
  const root = await issue('acme-ha test root', 'ec-p256', null, { ca: true });
  let issuer = root;
  const intermediates: X509Certificate[] = [];
  for (let i = 0; i < (options.intermediates ?? 1); i++) {
    issuer = await issue(`acme-ha test intermediate ${i + 1}`, 'ec-p256', issuer, { ca: true });
    intermediates.unshift(issuer.cert);
  }
  const leaf = await issue(sans[0] ?? 'leaf', keyType, issuer, {
    ca: false,
    sans,
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
    ...(options.notAfter ? { notAfter: options.notAfter } : {}),
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leaf.keys.privateKey));
  return {
    root: root.cert,
    intermediates,
    leaf: leaf.cert,
    leafKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    chain: [leaf.cert, ...intermediates],
  };
}

export function pemOf(certs: readonly X509Certificate[]): string {
  return certs.map((c) => c.toString()).join('');
}

export function keyPemOf(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}
