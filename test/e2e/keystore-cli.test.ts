import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { aPki, keyPemOf, pemOf, type TestPki } from '../support/pki.ts';
import { tempDir } from '../support/temp-dir.ts';

const DAY = 86_400_000;
let dir: string;
let pki: TestPki;
let files: Record<'key' | 'cert' | 'chain' | 'otherKey' | 'expiredKey' | 'expiredCert' | 'garbage', string>;

beforeAll(async () => {
  dir = await tempDir();
  pki = await aPki({ intermediates: 2 });
  const other = await aPki();
  const expired = await aPki({
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  files = {
    key: write('key.pem', keyPemOf(pki.leafKey)),
    cert: write('cert.pem', pemOf([pki.leaf])),
    chain: write('chain.pem', pemOf(pki.intermediates)),
    otherKey: write('other-key.pem', keyPemOf(other.leafKey)),
    expiredKey: write('expired-key.pem', keyPemOf(expired.leafKey)),
    expiredCert: write('expired-cert.pem', pemOf(expired.chain)),
    garbage: write('garbage.pem', 'this is not PEM\n'),
  };
});

const build = (args: string[], env: NodeJS.ProcessEnv = { KS_PASS: 'changeit' }) =>
  runCli(['keystore', 'build', '--format', 'jks', '--password-env', 'KS_PASS', ...args], env);

/** One clear line on stderr, nothing on stdout, the exit code, and no output file. */
async function expectRefused(
  result: Promise<{ code: number; stdout: string; stderr: string }>,
  code: number,
  message: RegExp,
  out?: string,
) {
  const { code: actual, stdout, stderr } = await result;
  expect(stderr).toMatch(message);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^acme-ha: /);
  expect(stdout).toBe('');
  expect(actual).toBe(code);
  if (out) expect(existsSync(out)).toBe(false);
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
}

describe('acme-ha keystore build: bad input is refused, nothing is written', () => {
  it('a key that does not match the certificate', async () => {
    const out = join(dir, 'mismatch.jks');
    await expectRefused(
      build(['--key', files.otherKey, '--cert', files.cert, '--chain', files.chain, '--out', out]),
      3,
      /private key does not match/,
      out,
    );
  });

  it('an expired certificate, then accepted with --allow-expired and a warning', async () => {
    const out = join(dir, 'expired.jks');
    await expectRefused(
      build(['--key', files.expiredKey, '--cert', files.expiredCert, '--out', out]),
      3,
      /certificate expired: notAfter/,
      out,
    );
    const allowed = await build([
      '--key',
      files.expiredKey,
      '--cert',
      files.expiredCert,
      '--out',
      out,
      '--allow-expired',
    ]);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/^acme-ha: warning: certificate expired/);
    expect(existsSync(out)).toBe(true);
  });

  it('a chain out of order', async () => {
    const reversed = join(dir, 'reversed.pem');
    writeFileSync(reversed, pemOf([...pki.intermediates].reverse()));
    const out = join(dir, 'order.jks');
    await expectRefused(
      build(['--key', files.key, '--cert', files.cert, '--chain', reversed, '--out', out]),
      3,
      /chain out of order: certificate 0/,
      out,
    );
  });

  it('garbage PEM', async () => {
    const out = join(dir, 'garbage.jks');
    await expectRefused(
      build(['--key', files.key, '--cert', files.garbage, '--out', out]),
      3,
      /garbage\.pem: no PEM block found/,
      out,
    );
  });

  it('a missing input file', async () => {
    const out = join(dir, 'missing.jks');
    await expectRefused(
      build(['--key', join(dir, 'nope.pem'), '--cert', files.cert, '--out', out]),
      3,
      /cannot read key .*nope\.pem: no such file/,
      out,
    );
  });

  it('an output path in a missing directory', async () => {
    const out = join(dir, 'no-such-dir', 'x.jks');
    await expectRefused(
      build(['--key', files.key, '--cert', files.cert, '--chain', files.chain, '--out', out]),
      3,
      /output directory .*no-such-dir does not exist/,
      out,
    );
  });

  it('a password variable that is not set, or no password at all', async () => {
    const out = join(dir, 'nopass.jks');
    await expectRefused(
      build(['--key', files.key, '--cert', files.cert, '--out', out], {}),
      2,
      /environment variable KS_PASS is not set/,
      out,
    );
    await expectRefused(
      runCli([
        'keystore',
        'build',
        '--format',
        'pkcs12',
        '--key',
        files.key,
        '--cert',
        files.cert,
        '--chain',
        files.chain,
        '--out',
        out,
      ]),
      3,
      /a pkcs12 keystore needs a non-empty password/,
      out,
    );
  });

  it('a key password variable that is not set, or a key password for PEM files', async () => {
    const out = join(dir, 'nokeypass.jks');
    await expectRefused(
      build(['--key', files.key, '--cert', files.cert, '--out', out, '--key-password-env', 'KEY_PASS']),
      2,
      /environment variable KEY_PASS is not set/,
      out,
    );
    await expectRefused(
      runCli(['keystore', 'inspect', files.cert, '--key-password-env', 'KEY_PASS']),
      2,
      /environment variable KEY_PASS is not set/,
    );
    const pem = join(dir, 'keypass-pem');
    await expectRefused(
      runCli(
        [
          'keystore',
          'build',
          '--format',
          'pem',
          '--key',
          files.key,
          '--cert',
          files.cert,
          '--out',
          pem,
          '--key-password-env',
          'KEY_PASS',
        ],
        { KEY_PASS: 'secret' },
      ),
      3,
      /PEM files have no key password/,
      pem,
    );
  });

  it('a non-ASCII PKCS#12 password, which Java 17 would refuse', async () => {
    const out = join(dir, 'unicode.p12');
    await expectRefused(
      runCli(
        [
          'keystore',
          'build',
          '--format',
          'pkcs12',
          '--key',
          files.key,
          '--cert',
          files.cert,
          '--chain',
          files.chain,
          '--out',
          out,
          '--password-env',
          'P',
        ],
        { P: 'pässwörd' },
      ),
      3,
      /PKCS#12 passwords must be printable ASCII/,
      out,
    );
  });

  it('an unknown format or option is a usage error', async () => {
    await expectRefused(
      runCli(['keystore', 'build', '--format', 'der', '--key', 'k', '--cert', 'c', '--out', 'o']),
      2,
      /argument 'der' is invalid/,
    );
    await expectRefused(
      runCli(['keystore', 'inspect', 'x', '--frobnicate']),
      2,
      /unknown option '--frobnicate'/,
    );
  });
});

describe('acme-ha keystore inspect', () => {
  let jks: string;
  beforeAll(async () => {
    jks = join(dir, 'good.jks');
    const result = await build([
      '--key',
      files.key,
      '--cert',
      files.cert,
      '--chain',
      files.chain,
      '--out',
      jks,
      '--alias',
      'Web',
    ]);
    expect(result.code).toBe(0);
  });

  it('prints the report as JSON, with the JKS alias lower-cased as Java stores it', async () => {
    const result = await runCli(['keystore', 'inspect', jks, '--password-env', 'KS_PASS', '--json'], {
      KS_PASS: 'changeit',
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      format: 'jks',
      alias: 'web',
      subject: 'CN=localhost',
      issuer: 'CN=acme-ha test intermediate 2',
      sans: ['localhost', '127.0.0.1'],
      serial: expect.stringMatching(/^[0-9a-f]+$/),
      notBefore: new Date(pki.leaf.validFrom).toISOString(),
      notAfter: new Date(pki.leaf.validTo).toISOString(),
      sha256Fingerprint: pki.leaf.fingerprint256.replaceAll(':', '').toLowerCase(),
      chainLength: 3,
      keyMatchesCertificate: true,
    });
    expect(statSync(jks).mode & 0o777).toBe(0o600);
  });

  it('refuses an empty and a wrong password', async () => {
    await expectRefused(
      runCli(['keystore', 'inspect', jks, '--password-env', 'KS_PASS'], { KS_PASS: '' }),
      3,
      /is a jks keystore: a password is needed/,
    );
    await expectRefused(
      runCli(['keystore', 'inspect', jks, '--password-env', 'KS_PASS'], { KS_PASS: 'wrong' }),
      3,
      /wrong keystore password/,
    );
  });

  it('refuses a truncated keystore and a file that is no keystore', async () => {
    const truncated = join(dir, 'truncated.jks');
    writeFileSync(truncated, Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1]));
    await expectRefused(
      runCli(['keystore', 'inspect', truncated, '--password-env', 'KS_PASS'], { KS_PASS: 'x' }),
      3,
      /keystore is truncated/,
    );
    await expectRefused(
      runCli(['keystore', 'inspect', files.garbage]),
      3,
      /not a JKS, PKCS#12 or PEM keystore/,
    );
  });

  it('builds a PEM directory for nginx and HAProxy, and reads the combined file back', async () => {
    const out = join(dir, 'pem');
    const result = await runCli([
      'keystore',
      'build',
      '--format',
      'pem',
      '--key',
      files.key,
      '--cert',
      files.cert,
      '--chain',
      files.chain,
      '--out',
      out,
    ]);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'cert.pem',
      'chain.pem',
      'combined.pem',
      'fullchain.pem',
      'privkey.pem',
    ]);
    expect(statSync(join(out, 'privkey.pem')).mode & 0o777).toBe(0o600);
    const combined = JSON.parse(
      (await runCli(['keystore', 'inspect', join(out, 'combined.pem'), '--json'])).stdout,
    );
    expect(combined).toMatchObject({
      format: 'pem',
      alias: null,
      chainLength: 3,
      keyMatchesCertificate: true,
    });
    const fullchain = JSON.parse(
      (await runCli(['keystore', 'inspect', join(out, 'fullchain.pem'), '--json'])).stdout,
    );
    expect(fullchain).toMatchObject({ chainLength: 3, keyMatchesCertificate: null });
  });

  it('reads back the PEM directory `build --format pem` wrote: chain, key, and that they match', async () => {
    const out = join(dir, 'pem-directory');
    const built = await runCli([
      'keystore',
      'build',
      '--format',
      'pem',
      '--key',
      files.key,
      '--cert',
      files.cert,
      '--chain',
      files.chain,
      '--out',
      out,
      '--json',
    ]);
    expect(built.code).toBe(0);
    const result = await runCli(['keystore', 'inspect', out, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toEqual({
      format: 'pem',
      alias: null,
      subject: 'CN=localhost',
      issuer: 'CN=acme-ha test intermediate 2',
      sans: ['localhost', '127.0.0.1'],
      serial: expect.stringMatching(/^[0-9a-f]+$/),
      notBefore: new Date(pki.leaf.validFrom).toISOString(),
      notAfter: new Date(pki.leaf.validTo).toISOString(),
      sha256Fingerprint: pki.leaf.fingerprint256.replaceAll(':', '').toLowerCase(),
      chainLength: 3,
      keyMatchesCertificate: true,
    });
    // The same report as build printed for what it wrote.
    const { path: _path, warnings: _warnings, ...fromBuild } = JSON.parse(built.stdout);
    expect(report).toEqual(fromBuild);

    const text = await runCli(['keystore', 'inspect', out]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}chain {4}3 certificate\(s\)$/m);
    expect(text.stdout).toMatch(/^ {2}key {6}matches$/m);
  });

  it('a PEM directory whose key is another certificate’s: reported as not matching', async () => {
    const out = join(dir, 'pem-mismatch');
    expect(
      (
        await runCli([
          'keystore',
          'build',
          '--format',
          'pem',
          '--key',
          files.key,
          '--cert',
          files.cert,
          '--chain',
          files.chain,
          '--out',
          out,
        ])
      ).code,
    ).toBe(0);
    // As a careless copy leaves it: fullchain.pem and privkey.pem only, the key of another pair.
    for (const name of ['cert.pem', 'chain.pem', 'combined.pem']) rmSync(join(out, name));
    copyFileSync(files.otherKey, join(out, 'privkey.pem'));
    const result = await runCli(['keystore', 'inspect', out, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      format: 'pem',
      chainLength: 3,
      keyMatchesCertificate: false,
    });
    expect((await runCli(['keystore', 'inspect', out])).stdout).toMatch(/^ {2}key {6}DOES NOT MATCH$/m);
  });

  it('refuses a directory of files from two keystores, and one with no PEM keystore in it', async () => {
    const out = join(dir, 'pem-two');
    expect(
      (
        await runCli([
          'keystore',
          'build',
          '--format',
          'pem',
          '--key',
          files.key,
          '--cert',
          files.cert,
          '--chain',
          files.chain,
          '--out',
          out,
        ])
      ).code,
    ).toBe(0);
    copyFileSync(files.expiredCert, join(out, 'cert.pem'));
    await expectRefused(
      runCli(['keystore', 'inspect', out]),
      3,
      /pem-two: files of different keystores: cert\.pem disagrees with fullchain\.pem/,
    );
    const empty = join(dir, 'no-pem');
    mkdirSync(empty);
    await expectRefused(runCli(['keystore', 'inspect', empty]), 3, /no-pem: no PEM keystore here/);
  });

  it('has --help on every level', async () => {
    for (const args of [
      ['--help'],
      ['keystore', '--help'],
      ['keystore', 'build', '--help'],
      ['keystore', 'inspect', '--help'],
    ]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: acme-ha/);
    }
  });
});
