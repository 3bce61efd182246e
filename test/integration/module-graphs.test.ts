/**
 * What each shipped bundle carries, from esbuild's own account of its inputs (the metafile of the
 * build in build/build.ts, every import followed, dynamic ones too): the graph a host actually
 * loads. The DMZ rule in code — the receiver holds no AWS SDK, no Powertools, no ACME client and
 * none of our AWS or ACME adapters — and, for the agent, the DMZ receiver and every Lambda, none of
 * the embedded stack (local/ and its emulators) and no development tool.
 */
import { describe, expect, it } from 'vitest';
import { buildTarget, TARGETS } from '../../build/build.ts';

async function inputsOf(name: string): Promise<string[]> {
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no build target ${name}`);
  return Object.keys((await buildTarget(target, false)).inputs);
}

/** The embedded stack and the tools that build and test: never in a bundle that ships to a host. */
const NEVER_SHIPPED =
  /node_modules\/(dynalite|s3rver|local-aws-sqs|dns2|classic-level|tsx|esbuild|vitest|typescript)\/|^local\/|^test\/|^bench\/|^build\//;

const SHIPPED = TARGETS.filter(
  (t) => t.name === 'agent' || t.name === 'dmz' || t.name.startsWith('function:'),
);

describe('the module graph of each shipped bundle', () => {
  it('the DMZ receiver imports no AWS SDK and no ACME code path', async () => {
    const inputs = await inputsOf('dmz');
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
      /node_modules\/(@aws-sdk|@smithy|@aws-lambda-powertools|acme-client)\/|^adapters\/(aws|acme)\/|^functions\//.test(
        path,
      ),
    );
    expect(forbidden).toEqual([]);
  }, 60_000);

  it('the agent side, by contrast, does carry the SDK (the check can fail), and no ACME client', async () => {
    const inputs = await inputsOf('agent');
    expect(inputs.some((path) => path.includes('node_modules/@aws-sdk/'))).toBe(true);
    expect(inputs.filter((path) => /node_modules\/acme-client\/|^adapters\/acme\//.test(path))).toEqual([]);
  }, 60_000);

  it.each(SHIPPED.map((t) => t.name))(
    '%s holds none of the embedded stack and no development tool',
    async (name) => {
      const inputs = await inputsOf(name);
      expect(inputs.length).toBeGreaterThan(10);
      expect(inputs.filter((path) => NEVER_SHIPPED.test(path))).toEqual([]);
    },
    60_000,
  );

  it('the check can fail: the full CLI does reach the embedded stack (lazily, for `local`)', async () => {
    const inputs = await inputsOf('cli');
    expect(inputs.filter((path) => NEVER_SHIPPED.test(path))).toEqual(
      expect.arrayContaining(['local/stack.ts']),
    );
  }, 60_000);
});
