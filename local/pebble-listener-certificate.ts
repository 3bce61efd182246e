/**
 * The TLS identity of Pebble's own HTTPS listeners. The Debian package ships no test certificates,
 * so every start makes a throw-away CA and a localhost/127.0.0.1 server certificate signed by it.
 * openssl (already a prerequisite) does it in ~15 ms and keeps test-only libraries out of local/.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalStackError } from './local-stack-error.ts';

const run = promisify(execFile);

/** Files of the listener PKI; `caPem` is what clients of Pebble must trust. */
export interface ListenerCertificate {
  readonly caFile: string;
  readonly caPem: string;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc'];
// Long enough for a `local up` left running for weeks; the files die with the stack anyway.
const DAYS = ['-days', '30'];

/**
 * Writes `listener-ca.pem`, `listener-cert.pem` and `listener-key.pem` into `dir`.
 * @throws LocalStackError when openssl fails
 */
export async function createListenerCertificate(dir: string): Promise<ListenerCertificate> {
  const caFile = join(dir, 'listener-ca.pem');
  const caKey = join(dir, 'listener-ca-key.pem');
  const certificateFile = join(dir, 'listener-cert.pem');
  const privateKeyFile = join(dir, 'listener-key.pem');
  try {
    await selfSignedOrIssued({ cert: caFile, key: caKey }, '/CN=acme-ha local Pebble listener CA', [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await selfSignedOrIssued(
      { cert: certificateFile, key: privateKeyFile },
      '/CN=localhost',
      [
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        'basicConstraints=critical,CA:FALSE',
        'extendedKeyUsage=serverAuth',
      ],
      { cert: caFile, key: caKey },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new LocalStackError(
      'pebble',
      `cannot create the listener certificate: ${stderr || String(error)}`,
      {
        cause: error,
      },
    );
  }
  return { caFile, caPem: await readFile(caFile, 'utf8'), certificateFile, privateKeyFile };
}

/** One `openssl req -x509` with a new P-256 key: self-signed, or signed by `issuer` (OpenSSL ≥ 3). */
export async function selfSignedOrIssued(
  out: { cert: string; key: string },
  subject: string,
  extensions: readonly string[],
  issuer?: { cert: string; key: string },
): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    ...EC_KEY,
    ...DAYS,
    ...(issuer ? ['-CA', issuer.cert, '-CAkey', issuer.key] : []),
    '-keyout',
    out.key,
    '-out',
    out.cert,
    '-subj',
    subject,
    ...extensions.flatMap((extension) => ['-addext', extension]),
  ]);
}
