import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKeystore } from '../core/keystore/keystore.ts';
import { aPki, keyPemOf, pemOf } from '../test/support/pki.ts';
import { fmt, type Stats, stats, timeCommand, timeIt } from './measure.ts';
import type { BenchSuite } from './suite.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'acme-ha.js');

async function commandStats(runs: number, make: (i: number) => [string, string[], NodeJS.ProcessEnv?]) {
  const ms: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [command, args, env] = make(i);
    const r = await timeCommand(command, args, env);
    ms.push(r.ms);
    rss.push(r.peakRssKiB / 1024);
  }
  return { time: stats(ms), rss: stats(rss) };
}

export const keystoreBuild: BenchSuite = {
  id: 'keystore-build',
  title: 'Keystore build (RSA 2048 leaf + 1 intermediate, from PEM)',
  target: 'building one JKS takes milliseconds; keytool -importkeystore about a second (issue 2)',
  async run({ quick }) {
    const dir = await mkdtemp(join(tmpdir(), 'acme-ha-bench-'));
    try {
      const pki = await aPki({ keyType: 'rsa-2048', intermediates: 1 });
      const material = { privateKey: pki.leafKey, chain: pki.chain };
      const key = join(dir, 'key.pem');
      const chain = join(dir, 'fullchain.pem');
      writeFileSync(key, keyPemOf(pki.leafKey));
      writeFileSync(chain, pemOf(pki.chain));
      const env = { KS_PASS: 'changeit' };
      const inProcessRuns = quick ? 20 : 200;
      const processRuns = quick ? 3 : 10;
      const created = new Date();

      const jksLib = await timeIt(
        () => buildKeystore(material, { format: 'jks', alias: 'a', password: 'changeit', created }),
        inProcessRuns,
      );
      const p12Lib = await timeIt(
        () => buildKeystore(material, { format: 'pkcs12', alias: 'a', password: 'changeit', created }),
        inProcessRuns,
      );
      const cli = (format: string) =>
        commandStats(processRuns, (i) => [
          process.execPath,
          [
            BIN,
            'keystore',
            'build',
            '--key',
            key,
            '--cert',
            chain,
            '--format',
            format,
            '--out',
            join(dir, `cli-${i}.${format}`),
            '--password-env',
            'KS_PASS',
          ],
          env,
        ]);
      const jksCli = await cli('jks');
      const p12Cli = await cli('pkcs12');
      const openssl = await commandStats(processRuns, (i) => [
        'openssl',
        [
          'pkcs12',
          '-export',
          '-inkey',
          key,
          '-in',
          chain,
          '-name',
          'a',
          '-out',
          join(dir, `openssl-${i}.p12`),
          '-passout',
          'pass:changeit',
        ],
      ]);
      const keytool = await commandStats(processRuns, (i) => [
        'keytool',
        [
          '-importkeystore',
          '-noprompt',
          '-srckeystore',
          join(dir, `openssl-${i % processRuns}.p12`),
          '-srcstoretype',
          'PKCS12',
          '-srcstorepass',
          'changeit',
          '-destkeystore',
          join(dir, `keytool-${i}.jks`),
          '-deststoretype',
          'JKS',
          '-deststorepass',
          'changeit',
        ],
      ]);
      const row = (what: string, time: Stats, rss?: Stats): string[] => [
        what,
        fmt(time),
        rss ? fmt(rss, 'MiB') : '(in process)',
      ];
      return {
        columns: ['case', 'wall time, median (min–max)', 'peak RSS'],
        rows: [
          row('acme-ha JKS, library call', jksLib),
          row('acme-ha PKCS#12, library call', p12Lib),
          row('acme-ha keystore build --format jks (whole CLI process)', jksCli.time, jksCli.rss),
          row('acme-ha keystore build --format pkcs12 (whole CLI process)', p12Cli.time, p12Cli.rss),
          row('openssl pkcs12 -export', openssl.time, openssl.rss),
          row('keytool -importkeystore PKCS#12 → JKS', keytool.time, keytool.rss),
        ],
        verdict:
          `JKS encoding takes ${jksLib.median.toFixed(2)} ms in process (target: milliseconds — met); ` +
          `keytool needs ${keytool.time.median.toFixed(0)} ms, ${(keytool.time.median / jksLib.median).toFixed(0)}× more. ` +
          `A whole CLI run (${jksCli.time.median.toFixed(0)} ms) is dominated by Node's start-up and module loading, not by the encoding.`,
        method: `${inProcessRuns} library calls after one warm-up; ${processRuns} runs of each command, timed with /usr/bin/time (peak RSS).`,
        raw: { jksLib, p12Lib, jksCli, p12Cli, openssl, keytool },
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
