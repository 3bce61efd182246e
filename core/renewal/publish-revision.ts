import { createHash } from 'node:crypto';
import type { CertificateConfig } from '../config/certificate-config.ts';
import { summarizeCertificate } from '../keystore/certificate.ts';
import { buildKeystore } from '../keystore/keystore.ts';
import { checkMaterial, type KeyMaterial } from '../keystore/material.ts';
import { readCertificates, readPrivateKey } from '../keystore/pem.ts';
import type { KeystoreStore } from '../ports/keystore-store.ts';
import { resolveIfNamed, type SecretResolver } from '../ports/secret-resolver.ts';
import { ariCertificateId } from './ari.ts';
import type { IssuedCertificate, Revision, RevisionObject } from './types.ts';

const EXTENSIONS = { jks: 'jks', pkcs12: 'p12' } as const;

/** `certificates/web/000042/web.jks`: zero-padded so that keys sort by revision. */
export function objectKey(certificateId: string, revision: number, name: string): string {
  return `certificates/${certificateId}/${String(revision).padStart(6, '0')}/${name}`;
}

/** The key material of a CA answer, checked like any other input. */
export function materialOf(issued: IssuedCertificate, now: Date): KeyMaterial {
  const [leaf, ...rest] = readCertificates(issued.chainPem, 'CA response');
  if (!leaf) throw new Error('the CA returned no certificate');
  const material: KeyMaterial = {
    privateKey: readPrivateKey(issued.privateKeyPem, 'issued key'),
    chain: [leaf, ...rest],
  };
  checkMaterial(material, { now });
  return material;
}

/**
 * Builds every configured keystore and stores its objects. Returns the revision record to publish;
 * it is not visible to anyone until the caller publishes it, so no node can see a revision whose
 * objects are missing.
 */
export async function storeRevisionObjects(input: {
  readonly cert: CertificateConfig;
  readonly material: KeyMaterial;
  readonly revision: number;
  readonly directory: string;
  readonly configHash: string;
  readonly now: Date;
  readonly keystores: KeystoreStore;
  readonly secrets: SecretResolver;
}): Promise<Revision> {
  const { cert, material, revision, now } = input;
  const objects: RevisionObject[] = [];
  for (const ks of cert.keystores) {
    const password = await resolveIfNamed(input.secrets, ks.password);
    const keyPassword = await resolveIfNamed(input.secrets, ks.keyPassword);
    const output = buildKeystore(material, {
      format: ks.format,
      alias: ks.alias ?? cert.id,
      password,
      keyPassword,
      created: now,
    });
    const files =
      output.kind === 'file'
        ? new Map([[`${cert.id}.${EXTENSIONS[ks.format as 'jks' | 'pkcs12']}`, output.bytes]])
        : output.files;
    for (const [name, bytes] of files) {
      const key = objectKey(cert.id, revision, name);
      await input.keystores.put(key, bytes);
      objects.push({
        name,
        format: ks.format,
        key,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        size: bytes.length,
      });
    }
  }
  const summary = summarizeCertificate(material.chain[0]);
  return {
    certificateId: cert.id,
    revision,
    serial: summary.serial,
    sans: summary.sans,
    notBefore: summary.notBefore,
    notAfter: summary.notAfter,
    issuer: summary.issuer,
    directory: input.directory,
    ariCertId: ariCertificateId(material.chain[0]),
    configHash: input.configHash,
    objects,
    createdAt: now.toISOString(),
  };
}
