/**
 * The keystores we write, judged by their real consumers: Java's KeyStore (getKey decrypts the key)
 * serving TLS from an SSLServerSocket, checked by `openssl s_client -verify_return_error` against the
 * test root; and OpenSSL's own PKCS#12 reader and writer. Built through the real CLI.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { decodePkcs12, encodePkcs12 } from '../../core/keystore/pkcs12.ts';
import { runCli } from '../support/cli.ts';
import { type JavaKeystoreType, loadInJava, serveInJava } from '../support/java.ts';
import { opensslHandshake } from '../support/openssl.ts';
import { aPki, keyPemOf, pemOf, type TestKeyType } from '../support/pki.ts';
import { tempDir } from '../support/temp-dir.ts';

const classes = inject('javaClasses');
const sha256 = (c: { fingerprint256: string }) => c.fingerprint256.replaceAll(':', '').toLowerCase();

async function writePemInputs(dir: string, pki: Awaited<ReturnType<typeof aPki>>) {
  const files = {
    key: join(dir, 'key.pem'),
    cert: join(dir, 'cert.pem'),
    chain: join(dir, 'chain.pem'),
    root: join(dir, 'root.pem'),
  };
  writeFileSync(files.key, keyPemOf(pki.leafKey));
  writeFileSync(files.cert, pemOf([pki.leaf]));
  writeFileSync(files.chain, pemOf(pki.intermediates));
  writeFileSync(files.root, pemOf([pki.root]));
  return files;
}

const cases: {
  format: 'jks' | 'pkcs12';
  javaType: JavaKeystoreType;
  keyType: TestKeyType;
  intermediates: number;
}[] = [];
for (const [format, javaType] of [
  ['jks', 'JKS'],
  ['pkcs12', 'PKCS12'],
] as const) {
  for (const keyType of ['ec-p256', 'rsa-2048'] as const) {
    for (const intermediates of [1, 2]) cases.push({ format, javaType, keyType, intermediates });
  }
}

/** `acme-ha keystore build` of the PEM inputs into `out`, the store password from KS_PASS. */
function buildArgs(
  input: { readonly key: string; readonly cert: string; readonly chain: string },
  format: string,
  out: string,
  alias: string,
): string[] {
  return [
    ...['keystore', 'build', '--key', input.key, '--cert', input.cert, '--chain', input.chain],
    ...['--format', format, '--out', out, '--alias', alias, '--password-env', 'KS_PASS'],
  ];
}

describe('keystores served by Java, verified by OpenSSL', () => {
  it.each(cases)(
    '$format, $keyType, $intermediates intermediate(s)',
    async ({ format, javaType, keyType, intermediates }) => {
      const dir = await tempDir();
      const pki = await aPki({ keyType, intermediates, sans: ['app.example.test', 'localhost'] });
      const input = await writePemInputs(dir, pki);
      const out = join(dir, `server.${format}`);
      const built = await runCli([...buildArgs(input, format, out, 'MyServer'), '--json'], {
        KS_PASS: 'changeit',
      });
      expect(built.stderr).toBe('');
      expect(built.code).toBe(0);

      const server = await serveInJava(classes, javaType, out, 'MyServer', 'changeit');
      try {
        expect(server.view.keyAlgorithm).toBe(keyType === 'rsa-2048' ? 'RSA' : 'EC');
        expect(server.view.chainLength).toBe(intermediates + 1);
        expect(server.view.leafSha256).toBe(sha256(pki.leaf));
        const handshake = await opensslHandshake({
          port: server.port,
          servername: 'app.example.test',
          caFile: input.root,
        });
        expect(handshake.verifyLine).toBe('Verify return code: 0 (ok)');
        expect(handshake.served.map(sha256)).toEqual(pki.chain.map(sha256));
      } finally {
        await server.stop();
      }

      // Round trip: what inspect reads back is what Java loaded.
      const inspected = await runCli(['keystore', 'inspect', out, '--password-env', 'KS_PASS', '--json'], {
        KS_PASS: 'changeit',
      });
      const report = JSON.parse(inspected.stdout);
      expect(report).toMatchObject({
        format,
        sha256Fingerprint: sha256(pki.leaf),
        sans: ['app.example.test', 'localhost'],
        chainLength: intermediates + 1,
        keyMatchesCertificate: true,
      });
      expect(JSON.parse(built.stdout)).toMatchObject({
        path: out,
        sha256Fingerprint: report.sha256Fingerprint,
      });
    },
  );

  it('writes a JKS with a non-ASCII password that Java opens', async () => {
    const dir = await tempDir();
    const pki = await aPki({ keyType: 'ec-p256' });
    const input = await writePemInputs(dir, pki);
    const out = join(dir, 'unicode.jks');
    const password = 'pässwörd-密码-🔐';
    const built = await runCli(
      [
        'keystore',
        'build',
        '--key',
        input.key,
        '--cert',
        input.cert,
        '--chain',
        input.chain,
        '--format',
        'jks',
        '--out',
        out,
        '--password-env',
        'KS_PASS',
      ],
      { KS_PASS: password },
    );
    expect(built.code).toBe(0);
    const view = await loadInJava(classes, 'JKS', out, 'acme-ha', password);
    expect(view.leafSha256).toBe(sha256(pki.leaf));
    await expect(loadInJava(classes, 'JKS', out, 'acme-ha', 'passwort')).rejects.toThrow(
      /password was incorrect|tampered/,
    );
  });

  // Tomcat's certificateKeyPassword, Jetty's keyManagerPassword: KeyStore.load takes the store
  // password, getKey (and the key manager) the key entry's own.
  it.each([
    ['jks', 'JKS'],
    ['pkcs12', 'PKCS12'],
  ] as const)(
    '%s with a key password of its own: Java needs it for the key, the store password for the file',
    async (format, javaType) => {
      const dir = await tempDir();
      const pki = await aPki({ keyType: 'ec-p256', sans: ['app.example.test'] });
      const input = await writePemInputs(dir, pki);
      const out = join(dir, `server.${format}`);
      const passwords = { KS_PASS: 'changeit', KEY_PASS: 'k3y-only' };
      const built = await runCli(
        [...buildArgs(input, format, out, 'tomcat'), '--key-password-env', 'KEY_PASS'],
        passwords,
      );
      expect(built.stderr).toBe('');
      expect(built.code).toBe(0);

      const view = await loadInJava(classes, javaType, out, 'tomcat', { store: 'changeit', key: 'k3y-only' });
      expect(view.leafSha256).toBe(sha256(pki.leaf));
      // The store password opens the file (KeyStore.load) but not the key (getKey)…
      await expect(loadInJava(classes, javaType, out, 'tomcat', 'changeit')).rejects.toThrow(
        /UnrecoverableKeyException(?:(?!KeyStore\.load)[\s\S])*KeyStore\.getKey/,
      );
      // …and the key password does not open the file.
      await expect(
        loadInJava(classes, javaType, out, 'tomcat', { store: 'k3y-only', key: 'k3y-only' }),
      ).rejects.toThrow(/(?:password was incorrect|Integrity check failed)[\s\S]*KeyStore\.load/);

      const server = await serveInJava(classes, javaType, out, 'tomcat', {
        store: 'changeit',
        key: 'k3y-only',
      });
      try {
        const handshake = await opensslHandshake({
          port: server.port,
          servername: 'app.example.test',
          caFile: input.root,
        });
        expect(handshake.verifyLine).toBe('Verify return code: 0 (ok)');
      } finally {
        await server.stop();
      }

      const inspect = (args: string[]) =>
        runCli(['keystore', 'inspect', out, '--password-env', 'KS_PASS', ...args, '--json'], passwords);
      const inspected = await inspect(['--key-password-env', 'KEY_PASS']);
      expect(inspected.code).toBe(0);
      expect(JSON.parse(inspected.stdout)).toMatchObject({ format, keyMatchesCertificate: true });
      const withoutKeyPassword = await inspect([]);
      expect(withoutKeyPassword.code).toBe(3);
      expect(withoutKeyPassword.stderr).toMatch(/wrong key password/);
    },
  );

  it('keytool -importkeystore converts our JKS, and the copy opens in Java', async () => {
    const dir = await tempDir();
    const pki = await aPki({ keyType: 'rsa-2048' });
    const input = await writePemInputs(dir, pki);
    const jks = join(dir, 'a.jks');
    const p12 = join(dir, 'b.p12');
    await runCli(
      [
        'keystore',
        'build',
        '--key',
        input.key,
        '--cert',
        input.cert,
        '--chain',
        input.chain,
        '--format',
        'jks',
        '--out',
        jks,
        '--password-env',
        'KS_PASS',
      ],
      { KS_PASS: 'changeit' },
    );
    execFileSync(
      'keytool',
      [
        '-importkeystore',
        '-noprompt',
        '-srckeystore',
        jks,
        '-srcstoretype',
        'JKS',
        '-srcstorepass',
        'changeit',
        '-destkeystore',
        p12,
        '-deststoretype',
        'PKCS12',
        '-deststorepass',
        'changeit',
      ],
      { stdio: 'pipe' },
    );
    const view = await loadInJava(classes, 'PKCS12', p12, 'acme-ha', 'changeit');
    expect(view.leafSha256).toBe(sha256(pki.leaf));
    expect(decodePkcs12(readFileSync(p12), 'changeit').material.chain).toHaveLength(2);
  });
});

describe('PKCS#12 interoperability with OpenSSL 3', () => {
  // OpenSSL 3 is the other writer we must read: encrypted certificate bags (PBES2) and its MAC.
  it('reads a file written by openssl pkcs12 -export, and openssl reads ours', async () => {
    const dir = await tempDir();
    const pki = await aPki({ keyType: 'ec-p256', intermediates: 1 });
    writeFileSync(join(dir, 'key.pem'), keyPemOf(pki.leafKey));
    writeFileSync(join(dir, 'chain.pem'), pemOf(pki.chain));
    const theirs = join(dir, 'theirs.p12');
    execFileSync('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      join(dir, 'key.pem'),
      '-in',
      join(dir, 'chain.pem'),
      '-name',
      'from-openssl',
      '-out',
      theirs,
      '-passout',
      'pass:s3cret',
    ]);
    const { alias, material } = decodePkcs12(readFileSync(theirs), 's3cret');
    expect(alias).toBe('from-openssl');
    expect(material.chain.map((c) => c.fingerprint256)).toEqual(pki.chain.map((c) => c.fingerprint256));

    const ours = join(dir, 'ours.p12');
    writeFileSync(ours, encodePkcs12({ privateKey: pki.leafKey, chain: pki.chain }, 'x', 's3cret'));
    const text = execFileSync('openssl', [
      'pkcs12',
      '-in',
      ours,
      '-passin',
      'pass:s3cret',
      '-nodes',
    ]).toString();
    expect(text).toContain('friendlyName: x');
    expect(text).toContain('-----BEGIN PRIVATE KEY-----');
  });
});
