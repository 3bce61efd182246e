/**
 * Pebble on its own: settings pass-through, fresh roots per start, a restart on the same ports,
 * clear start-up failures.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { httpsGetText } from '../../../local/https-get.ts';
import { LocalStackError } from '../../../local/local-stack-error.ts';
import { startPebble } from '../../../local/pebble.ts';
import { childProcesses, listeningSocketsOf, processExists } from '../../support/process-table.ts';

// Nothing is validated in these tests: the ports only have to be syntactically valid.
const targets = { httpPort: 9, dnsServer: '127.0.0.1:9' };

describe('Pebble', () => {
  it('passes the caller’s PEBBLE_* settings over our defaults and regenerates its roots at every start', async () => {
    const first = await startPebble({
      ...targets,
      env: { PEBBLE_AUTHZREUSE: '100', PEBBLE_WFE_NONCEREJECT: '0' },
    });
    let firstRoot: X509Certificate;
    try {
      expect(first.settings).toEqual({
        PEBBLE_VA_NOSLEEP: '1',
        PEBBLE_AUTHZREUSE: '100',
        PEBBLE_WFE_NONCEREJECT: '0',
      });
      firstRoot = new X509Certificate(await first.rootCertificate());
      const intermediate = new X509Certificate(await first.intermediateCertificate());
      expect(intermediate.checkIssued(firstRoot)).toBe(true);
      expect(first.directoryUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/dir$/);
    } finally {
      await first.stop();
    }
    const second = await startPebble({ ...targets, env: {} });
    try {
      expect(second.settings).toEqual({ PEBBLE_VA_NOSLEEP: '1', PEBBLE_AUTHZREUSE: '0' });
      const secondRoot = new X509Certificate(await second.rootCertificate());
      expect(secondRoot.fingerprint256).not.toBe(firstRoot.fingerprint256);
    } finally {
      await second.stop();
    }
  });

  it('restarts on the same ports and listener certificate, with its settings and new roots', async () => {
    const before = await childProcesses();
    const output: string[] = [];
    const pebble = await startPebble({
      ...targets,
      env: { PEBBLE_VA_NOSLEEP: '0', PEBBLE_VA_SLEEPTIME: '3' },
      onOutput: (line) => output.push(line),
    });
    try {
      const firstPid = pebble.pid;
      const firstRoot = await pebble.rootCertificate();
      await pebble.restart();

      expect(pebble.pid).not.toBe(firstPid);
      expect(processExists(firstPid)).toBe(false);
      expect((await listeningSocketsOf(pebble.pid)).map((s) => s.port).sort()).toEqual(
        [pebble.listenPort, pebble.managementPort].sort(),
      );
      // The same URL answers through the same listener CA: clients configured before keep working.
      expect((await httpsGetText(pebble.directoryUrl, pebble.caPem)).status).toBe(200);
      expect(await pebble.rootCertificate()).not.toBe(firstRoot);
      // PEBBLE_VA_NOSLEEP=0 over our default turns the random validation sleep on, in both processes.
      expect(
        output.filter((l) => l.includes('Setting maximum random VA sleep time to 3 seconds')),
      ).toHaveLength(2);
    } finally {
      await pebble.stop();
    }
    await expect(pebble.restart()).rejects.toBeInstanceOf(LocalStackError);
    expect(await childProcesses()).toEqual(before);
  });

  it('fails with Pebble’s own reason when it cannot start, and leaves no process behind', async () => {
    const before = await childProcesses();
    const start = startPebble({ ...targets, externalAccountMacKeys: { 'kid-1': '!not base64url!' } });
    await expect(start).rejects.toBeInstanceOf(LocalStackError);
    await expect(start).rejects.toThrow(
      /exited with 1 before answering[\s\S]*failed to decode base64 URL encoded key/,
    );
    expect(await childProcesses()).toEqual(before);
  });
});
