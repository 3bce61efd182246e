import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { requireDirectory, writeFileAtomic } from '../../adapters/fs/atomic-file.ts';
import { readInputFile } from '../../adapters/fs/input-file.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { KeystoreFormat } from '../../core/keystore/formats.ts';
import { inspectKeystore, type KeystoreContent, type KeystoreReport } from '../../core/keystore/keystore.ts';
import { keystoreFromPem } from '../../core/keystore/keystore-from-pem.ts';
import { PEM_FILES } from '../../core/keystore/pem-files.ts';
import { type CliIo, passwordFromEnv } from '../io.ts';

export interface BuildFlags {
  key: string;
  cert: string;
  chain?: string;
  format: KeystoreFormat;
  out: string;
  alias: string;
  passwordEnv?: string;
  keyPasswordEnv?: string;
  allowExpired?: boolean;
  json?: boolean;
}

export interface InspectFlags {
  passwordEnv?: string;
  keyPasswordEnv?: string;
  json?: boolean;
}

export async function build(flags: BuildFlags, io: CliIo): Promise<void> {
  const password = passwordFromEnv(io, flags.passwordEnv);
  const keyPassword = passwordFromEnv(io, flags.keyPasswordEnv);
  const { output, report, warnings } = keystoreFromPem({
    keyPem: (await readInputFile(flags.key, 'key')).toString('utf8'),
    certificatePem: (await readInputFile(flags.cert, 'certificate')).toString('utf8'),
    chainPem: flags.chain ? (await readInputFile(flags.chain, 'chain')).toString('utf8') : undefined,
    format: flags.format,
    alias: flags.alias,
    password,
    keyPassword,
    allowExpired: flags.allowExpired,
    now: io.now(),
    sources: { key: flags.key, certificate: flags.cert, ...(flags.chain ? { chain: flags.chain } : {}) },
  });

  if (output.kind === 'file') {
    await requireDirectory(dirname(flags.out));
    await writeFileAtomic(flags.out, output.bytes);
  } else {
    await requireDirectory(dirname(flags.out));
    const existing = await stat(flags.out).catch(() => null);
    if (existing && !existing.isDirectory()) {
      throw new InvalidInputError(`${flags.out} exists and is not a directory (pem writes a directory)`);
    }
    await mkdir(flags.out, { mode: 0o700, recursive: true });
    for (const [name, bytes] of output.files) await writeFileAtomic(join(flags.out, name), bytes);
  }

  for (const warning of warnings) io.err(`acme-ha: warning: ${warning}\n`);
  if (flags.json) io.out(`${JSON.stringify({ path: flags.out, ...report, warnings })}\n`);
  else io.out(`wrote ${flags.format} keystore ${flags.out}\n${human(report)}`);
}

export async function inspect(file: string, flags: InspectFlags, io: CliIo): Promise<void> {
  const password = passwordFromEnv(io, flags.passwordEnv);
  const keyPassword = passwordFromEnv(io, flags.keyPasswordEnv);
  const report = inspectKeystore(await readKeystore(file), password, file, keyPassword);
  io.out(flags.json ? `${JSON.stringify(report)}\n` : human(report));
}

/** A keystore file's bytes, or the PEM files of a directory (as `build --format pem` and the agent write them). */
export async function readKeystore(path: string): Promise<KeystoreContent> {
  if (!(await stat(path).catch(() => null))?.isDirectory()) return readInputFile(path, 'keystore');
  const files = new Map<string, Buffer>();
  for (const name of Object.values(PEM_FILES)) {
    const file = join(path, name);
    if ((await stat(file).catch(() => null))?.isFile())
      files.set(name, await readInputFile(file, 'PEM file'));
  }
  return files;
}

function human(report: KeystoreReport): string {
  const rows: [string, string][] = [
    ['format', report.format],
    ['alias', report.alias ?? '-'],
    ['subject', report.subject],
    ['issuer', report.issuer],
    ['names', report.sans.join(', ') || '-'],
    ['serial', report.serial],
    ['valid', `${report.notBefore} .. ${report.notAfter}`],
    ['sha256', report.sha256Fingerprint],
    ['chain', `${report.chainLength} certificate(s)`],
    [
      'key',
      report.keyMatchesCertificate === null
        ? 'none'
        : report.keyMatchesCertificate
          ? 'matches'
          : 'DOES NOT MATCH',
    ],
  ];
  return rows.map(([k, v]) => `  ${k.padEnd(8)} ${v}\n`).join('');
}
