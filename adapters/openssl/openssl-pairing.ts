/**
 * Pairing identities for DMZ pushes: a self-signed P-256 certificate and key for the receiver (SAN =
 * its host name or address) and one for the internal client. Made by `openssl req -x509` (OpenSSL ≥
 * 3, already a prerequisite of the agent's probes and tests) into files created 0600 in directories
 * 0700. No CA: each side pins the other's SHA-256 fingerprint.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { certificateFingerprint } from '../../core/dmz/fingerprint.ts';
import { InvalidInputError } from '../../core/errors.ts';

const run = promisify(execFile);

export interface PairingIdentity {
  readonly certificateFile: string;
  readonly keyFile: string;
  /** Lower-case hex SHA-256 of the certificate. */
  readonly fingerprint: string;
  readonly notAfter: string;
}

export interface IdentityRequest {
  readonly certificateFile: string;
  readonly keyFile: string;
  readonly commonName: string;
  /** Server identities: the names and addresses the receiver is reached by. */
  readonly subjectAltNames?: readonly string[];
  readonly usage: 'serverAuth' | 'clientAuth';
  readonly days: number;
}

/**
 * Creates one identity. Refuses to overwrite an existing file (a re-pairing must be deliberate: the
 * other side's pin breaks).
 * @throws InvalidInputError when a file exists or openssl fails
 */
export async function createPairingIdentity(request: IdentityRequest): Promise<PairingIdentity> {
  for (const file of [request.certificateFile, request.keyFile])
    if (await stat(file).catch(() => null))
      throw new InvalidInputError(`${file} exists already; choose another --out or remove it`);
  for (const file of [request.certificateFile, request.keyFile]) {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await chmod(dirname(file), 0o700);
  }
  const san = (request.subjectAltNames ?? []).map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`));
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-noenc',
    '-days',
    String(request.days),
    '-keyout',
    request.keyFile,
    '-out',
    request.certificateFile,
    '-subj',
    `/CN=${request.commonName.replace(/[/\\=+,]/g, '-')}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    `extendedKeyUsage=${request.usage}`,
    ...(san.length > 0 ? ['-addext', `subjectAltName=${san.join(',')}`] : []),
  ];
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').pop();
    throw new InvalidInputError(
      `openssl could not create ${request.commonName}: ${stderr || String(error)}`,
      {
        cause: error,
      },
    );
  }
  await chmod(request.keyFile, 0o600);
  await chmod(request.certificateFile, 0o600);
  const pem = await readFile(request.certificateFile);
  return {
    certificateFile: request.certificateFile,
    keyFile: request.keyFile,
    fingerprint: certificateFingerprint(pem),
    notAfter: new Date(new X509Certificate(pem).validTo).toISOString(),
  };
}
