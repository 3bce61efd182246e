import { describe, expect, it } from 'vitest';
import { ReloadFailedError } from '../../core/agent/agent-errors.ts';
import type { ServedCertificate } from '../../core/ports/prober.ts';
import type { Reloader } from '../../core/ports/reloader.ts';
import { aServerPki } from '../support/agent-keystores.ts';
import type { TestPki } from '../support/pki.ts';
import { servedIdentityOf } from './prober.contract.ts';

export interface ReloaderSubject {
  readonly reloader: Reloader;
  /** Writes this PKI's keystore where the server loads it from, through a FileSink (backup kept). */
  install(pki: TestPki): Promise<void>;
  /** Writes bytes that are no keystore where the server loads it from, through the same FileSink. */
  installUnreadable(): Promise<void>;
  /** FileSink.restore of that keystore. */
  restore(): Promise<boolean>;
  /** What the server serves now, by the pair's Prober. */
  served(): Promise<ServedCertificate>;
}

/** The promises of core/ports/reloader.ts, observed through the server's answers. */
export function describeReloaderContract(
  name: string,
  make: () => ReloaderSubject | Promise<ReloaderSubject>,
): void {
  describe(`Reloader contract: ${name}`, () => {
    /** A reload may take effect asynchronously (nginx): the caller probes until it shows. */
    async function expectServing(subject: ReloaderSubject, pki: TestPki): Promise<void> {
      await expect
        .poll(() => subject.served(), { timeout: 5_000, interval: 50 })
        .toEqual(servedIdentityOf(pki));
    }

    it('makes the server serve the files just written', async () => {
      const subject = await make();
      const [first, second] = await Promise.all([aServerPki(), aServerPki()]);

      await subject.install(first);
      await subject.reloader.reload();
      await expectServing(subject, first);
      await subject.install(second);
      await subject.reloader.reload();

      await expectServing(subject, second);
    });

    it('is harmless when repeated with the same files', async () => {
      const subject = await make();
      const pki = await aServerPki();
      await subject.install(pki);

      await subject.reloader.reload();
      await subject.reloader.reload();

      await expectServing(subject, pki);
    });

    it('serves the previous certificate again after the backup is restored and it reloads', async () => {
      const subject = await make();
      const [previous, next] = await Promise.all([aServerPki(), aServerPki()]);
      await subject.install(previous);
      await subject.reloader.reload();
      await subject.install(next);
      await subject.reloader.reload();
      await expectServing(subject, next);

      expect(await subject.restore()).toBe(true);
      await subject.reloader.reload();

      await expectServing(subject, previous);
    });

    it('throws ReloadFailedError when the server cannot load the files, and the rollback recovers', async () => {
      const subject = await make();
      const pki = await aServerPki();
      await subject.install(pki);
      await subject.reloader.reload();

      await subject.installUnreadable();
      await expect(subject.reloader.reload()).rejects.toBeInstanceOf(ReloadFailedError);
      await subject.restore();
      await subject.reloader.reload();

      await expectServing(subject, pki);
    });

    it('names its action in one line', async () => {
      const { reloader } = await make();

      expect(reloader.description).toMatch(/^\S.*$/);
    });
  });
}
