import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface HandshakeResult {
  /** openssl's own verdict with `-verify_return_error` against the given CA file. */
  readonly verified: boolean;
  readonly verifyLine: string;
  /** The certificates the server sent, leaf first. */
  readonly served: readonly X509Certificate[];
}

/** A TLS handshake by `openssl s_client`, independent of our own code. */
export async function opensslHandshake(options: {
  port: number;
  servername: string;
  caFile: string;
  host?: string;
}): Promise<HandshakeResult> {
  const args = [
    's_client',
    '-connect',
    `${options.host ?? '127.0.0.1'}:${options.port}`,
    '-servername',
    options.servername,
    '-CAfile',
    options.caFile,
    '-verify_return_error',
    '-showcerts',
  ];
  const handshake = run('openssl', args, { timeout: 15_000 });
  // Nothing to send: s_client prints the handshake, then quits at the end of its input (`</dev/null`)
  // instead of waiting for the server to close.
  handshake.child.stdin?.end();
  const { stdout } = await handshake.catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const verifyLine = /Verify return code: .*/.exec(stdout)?.[0] ?? 'no verify result';
  const served = [...stdout.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]),
  );
  return { verified: verifyLine === 'Verify return code: 0 (ok)', verifyLine, served };
}
