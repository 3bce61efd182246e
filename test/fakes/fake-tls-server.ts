import type { InMemoryFileSink } from '../../adapters/memory/in-memory-file-sink.ts';
import { ProbeFailedError, ReloadFailedError } from '../../core/agent/agent-errors.ts';
import { summarizeCertificate } from '../../core/keystore/certificate.ts';
import { openKeystore } from '../../core/keystore/keystore.ts';
import type { ProbeEndpoint, Prober, ServedCertificate } from '../../core/ports/prober.ts';
import type { Reloader } from '../../core/ports/reloader.ts';

/**
 * A server in memory: `reload()` loads its keystore file from the fake file sink and serves the
 * leaf; `mode` makes it fail the reload or ignore it (keep serving the old certificate). A keystore
 * it cannot open fails the reload with ReloadFailedError, as the Java server's HTTP reload does.
 */
export class FakeTlsServer implements Reloader {
  readonly description: string;
  mode: 'ok' | 'fail' | 'ignore' = 'ok';
  served: ServedCertificate | null = null;
  reloads = 0;
  /** Called inside reload (tests record windows or hold the slot with it). */
  onReload: () => Promise<void> = async () => {};

  constructor(
    readonly port: number,
    private readonly files: InMemoryFileSink,
    private readonly path: string,
    private readonly password: string | undefined,
  ) {
    this.description = `fake server :${port}`;
  }

  async reload(): Promise<void> {
    this.reloads++;
    await this.onReload();
    if (this.mode === 'fail') throw new ReloadFailedError(`${this.description}: reload refused`);
    if (this.mode === 'ignore') return;
    const bytes = await this.files.read(this.path);
    if (!bytes) throw new ReloadFailedError(`${this.description}: no keystore`);
    const summary = summarizeCertificate(this.leafOf(bytes));
    this.served = { serial: summary.serial, sha256Fingerprint: summary.sha256Fingerprint };
  }

  private leafOf(bytes: Buffer) {
    try {
      return openKeystore(bytes, this.password, this.path).chain[0];
    } catch (error) {
      // As a real server answers a keystore it cannot load: the reload fails, the old leaf stays.
      throw new ReloadFailedError(`${this.description}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Probes the fake servers by port. */
export class FakeProber implements Prober {
  constructor(private readonly servers: readonly FakeTlsServer[]) {}

  async probe(endpoint: ProbeEndpoint): Promise<ServedCertificate> {
    const served = this.servers.find((s) => s.port === endpoint.port)?.served;
    if (!served) throw new ProbeFailedError(`nothing served on ${endpoint.port}`);
    return served;
  }
}
