import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { requireDirectory, writeFileAtomic } from '../../adapters/fs/atomic-file.ts';
import { readInputFile } from '../../adapters/fs/input-file.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { KeystoreFormat } from '../../core/keystore/formats.ts';
import {
  buildKeystore,
  describeKeystore,
  type KeystoreReport,
  openKeystore,
} from '../../core/keystore/keystore.ts';
import { checkMaterial } from '../../core/keystore/material.ts';
import { readCertificates, readPrivateKey } from '../../core/keystore/pem.ts';
import { type CliIo, passwordFromEnv } from '../io.ts';

export interface BuildFlags {
  key: string;
  cert: string;
  chain?: string;
  format: KeystoreFormat;
  out: string;
  alias: string;
  passwordEnv?: string;
  allowExpired?: boolean;
  json?: boolean;
}

export interface InspectFlags {
  passwordEnv?: string;
  json?: boolean;
}

export async function build(flags: BuildFlags, io: CliIo): Promise<void> {
  const password = passwordFromEnv(io, flags.passwordEnv);
  if (!flags.alias.trim() || /[\p{Cc}]/u.test(flags.alias)) {
    throw new InvalidInputError('--alias must be a non-empty name without control characters');
  }
  const keyText = (await readInputFile(flags.key, 'key')).toString('utf8');
  const certText = (await readInputFile(flags.cert, 'certificate')).toString('utf8');
  const chainText = flags.chain ? (await readInputFile(flags.chain, 'chain')).toString('utf8') : undefined;
  const [leaf, ...rest] = [
    ...readCertificates(certText, flags.cert),
    ...(chainText === undefined ? [] : readCertificates(chainText, flags.chain ?? '')),
  ];
  if (!leaf) throw new InvalidInputError(`${flags.cert}: no certificate`);
  const material = { privateKey: readPrivateKey(keyText, flags.key), chain: [leaf, ...rest] as const };
  const warnings = checkMaterial(material, { now: io.now(), allowExpired: flags.allowExpired ?? false });
  const output = buildKeystore(material, {
    format: flags.format,
    alias: flags.alias,
    password,
    created: io.now(),
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
  const report = describeKeystore({
    format: flags.format,
    alias: flags.format === 'jks' ? flags.alias.toLowerCase() : flags.format === 'pem' ? null : flags.alias,
    chain: material.chain,
    privateKey: material.privateKey,
  });
  if (flags.json) io.out(`${JSON.stringify({ path: flags.out, ...report, warnings })}\n`);
  else io.out(`wrote ${flags.format} keystore ${flags.out}\n${human(report)}`);
}

export async function inspect(file: string, flags: InspectFlags, io: CliIo): Promise<void> {
  const password = passwordFromEnv(io, flags.passwordEnv);
  const report = describeKeystore(openKeystore(await readInputFile(file, 'keystore'), password, file));
  io.out(flags.json ? `${JSON.stringify(report)}\n` : human(report));
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
