/**
 * The DMZ rule in code: the receiver's whole module graph — `acme-ha dmz` from its own bundle entry,
 * everything it imports, statically or lazily — holds no AWS SDK, no Powertools, no ACME client and
 * none of our AWS or ACME adapters. esbuild follows every import (dynamic ones too) and its metafile
 * lists each input file, so this is the graph a DMZ host would actually load.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

async function inputsOf(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

describe('the DMZ receiver module graph', () => {
  it('imports no AWS SDK and no ACME code path', async () => {
    const inputs = await inputsOf('cli/dmz-entry.ts');
    // It did bundle the receiver itself (the assertion below is not vacuous).
    expect(inputs).toEqual(
      expect.arrayContaining([
        'dmz/receiver-server.ts',
        'core/dmz/receive-push.ts',
        'core/agent/sync/sync-certificate.ts',
        'adapters/fs/keystore-file-sink.ts',
        'adapters/probe/tls-prober.ts',
      ]),
    );
    const forbidden = inputs.filter((path) =>
      /node_modules\/(@aws-sdk|@smithy|@aws-lambda-powertools|acme-client)\/|^adapters\/(aws|acme)\/|^functions\/|^local\//.test(
        path,
      ),
    );
    expect(forbidden).toEqual([]);
  }, 60_000);

  it('the agent side, by contrast, does carry the SDK (the check can fail)', async () => {
    const inputs = await inputsOf('cli/agent-entry.ts');
    expect(inputs.some((path) => path.includes('node_modules/@aws-sdk/'))).toBe(true);
  }, 60_000);
});
