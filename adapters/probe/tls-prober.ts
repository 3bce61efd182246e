import { connect } from 'node:tls';
import { ProbeFailedError } from '../../core/agent/agent-errors.ts';
import { summarizeCertificate } from '../../core/keystore/certificate.ts';
import type { ProbeEndpoint, Prober, ServedCertificate } from '../../core/ports/prober.ts';

/**
 * A TLS handshake with SNI that reports the leaf the server sent. Trust is not checked on purpose:
 * the question is which certificate is served (by serial and fingerprint), and a server in the
 * middle of a rollback may legitimately present a certificate from another CA. No session is
 * resumed (each probe is a fresh connection with no session cache), so the answer is current.
 */
export class TlsProber implements Prober {
  constructor(private readonly timeoutMs: number = 5_000) {}

  probe(endpoint: ProbeEndpoint): Promise<ServedCertificate> {
    return new Promise((resolve, reject) => {
      const where = `${endpoint.host}:${endpoint.port}`;
      const socket = connect({
        host: endpoint.host,
        port: endpoint.port,
        servername: endpoint.servername,
        rejectUnauthorized: false,
        timeout: this.timeoutMs,
      });
      const fail = (reason: string, cause?: unknown) => {
        socket.destroy();
        reject(new ProbeFailedError(`${where}: ${reason}`, { cause }));
      };
      socket.once('secureConnect', () => {
        const leaf = socket.getPeerX509Certificate();
        socket.end();
        if (!leaf) return fail('no certificate presented');
        const summary = summarizeCertificate(leaf);
        resolve({ serial: summary.serial, sha256Fingerprint: summary.sha256Fingerprint });
      });
      socket.once('timeout', () => fail(`no handshake within ${this.timeoutMs} ms`));
      socket.once('error', (error) => fail(error.message, error));
    });
  }
}
