import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProbeFailedError } from '../../core/agent/agent-errors.ts';
import type { ProbeEndpoint, Prober, ServedCertificate } from '../../core/ports/prober.ts';
import { aServerPki } from '../support/agent-keystores.ts';
import type { TestPki } from '../support/pki.ts';

export interface ProberSubject {
  readonly prober: Prober;
  /** Makes a server serve this PKI's leaf (write, reload) and says where to probe it. */
  serve(pki: TestPki): Promise<ProbeEndpoint>;
  /** Where nothing listens. */
  readonly refused: ProbeEndpoint;
  /** A server that accepts connections and never completes a handshake. */
  readonly silent: ProbeEndpoint;
}

/**
 * What a prober must report for this PKI's leaf, computed here from the certificate itself (not
 * by the code under test): the serial in lower-case hex without leading zero bytes, the SHA-256
 * of the DER.
 */
export function servedIdentityOf(pki: TestPki): ServedCertificate {
  return {
    serial: pki.leaf.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''),
    sha256Fingerprint: createHash('sha256').update(pki.leaf.raw).digest('hex'),
  };
}

/** The promises of core/ports/prober.ts. */
export function describeProberContract(
  name: string,
  make: () => ProberSubject | Promise<ProberSubject>,
): void {
  describe(`Prober contract: ${name}`, () => {
    it('reports the serial and SHA-256 fingerprint of the leaf served, whatever CA issued it', async () => {
      const { prober, serve } = await make();
      const pki = await aServerPki();

      const served = await prober.probe(await serve(pki));

      expect(served).toEqual(servedIdentityOf(pki));
    });

    it('reports the new leaf once the server serves another', async () => {
      const { prober, serve } = await make();
      const [first, second] = await Promise.all([aServerPki(), aServerPki()]);
      await prober.probe(await serve(first));

      const served = await prober.probe(await serve(second));

      expect(served).toEqual(servedIdentityOf(second));
    });

    it('answers the same when probed again and in parallel', async () => {
      const { prober, serve } = await make();
      const pki = await aServerPki();
      const endpoint = await serve(pki);

      const answers = await Promise.all([1, 2, 3, 4].map(() => prober.probe(endpoint)));

      expect(answers).toEqual(Array(4).fill(servedIdentityOf(pki)));
    });

    it('throws ProbeFailedError when nothing listens', async () => {
      const { prober, refused } = await make();

      await expect(prober.probe(refused)).rejects.toBeInstanceOf(ProbeFailedError);
    });

    it('throws ProbeFailedError when the server never completes a handshake', async () => {
      const { prober, silent } = await make();

      await expect(prober.probe(silent)).rejects.toBeInstanceOf(ProbeFailedError);
    });
  });
}
