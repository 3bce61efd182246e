import { Command, InvalidArgumentError, Option } from 'commander';
import { NODE_ID, RESOURCE_PREFIX } from '../../core/resource-layout.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, type CliIo } from '../io.ts';
import type { DemoFlags } from './demo-runner.ts';
import type { UpFlags } from './up-runner.ts';

/**
 * `acme-ha local up|demo`. The embedded stack (local/) is loaded only when one of them runs: no
 * other command, and no bundle, carries Pebble's driver or the emulators.
 */
export function localCommand(io: CliIo): Command {
  const local = new Command('local').description('the embedded stack: the whole system on this machine');
  local
    .command('up')
    .description('start Pebble, DNS stub, DynamoDB, S3, SQS and SNS locally; print endpoints; stop on Ctrl-C')
    .addOption(
      new Option('--node <id>', 'create the queue pair of this node (repeatable)')
        .argParser(collectNode)
        .default([], 'node-1'),
    )
    .option('--prefix <prefix>', 'resource name prefix', parsePrefix, 'acme-ha')
    .option('--no-pebble', 'leave out Pebble, its DNS stub and the HTTP-01 responder')
    .option('--http-port <port>', 'send HTTP-01 validation here instead of the built-in responder', parsePort)
    .option('--json', 'print the endpoints and environment as one JSON object')
    .action(async (flags: UpFlags) => {
      requireEmbeddedStack();
      await (await import('./up-runner.ts')).up(flags, io);
    });
  local
    .command('demo')
    .description('the main job end to end: issue, distribute, renew with a rolling reload, a failure handled')
    .option('--nodes <n>', 'internal nodes (Java, nginx, HAProxy, …)', parseCount(1, 20), 3)
    .option('--dmz <m>', 'DMZ instances', parseCount(0, 5), 1)
    .option('--keep', 'leave everything running after the summary, until Ctrl-C')
    .option('--json', 'progress on stderr; stdout gets one JSON summary line')
    .option('--verbose', "the agents' structured log on stderr")
    .action(async (flags: DemoFlags) => {
      requireEmbeddedStack();
      await (await import('./demo-runner.ts')).demo(flags, io);
    });
  return local;
}

/** The embedded stack's emulators: optional dependencies of the package, needed by `local` only. */
export const EMBEDDED_STACK_PACKAGES = [
  'dns2',
  'dynalite',
  'fast-xml-parser',
  'local-aws-sqs',
  's3rver',
] as const;

/** One clear line, not a module-loading stack trace, when an install left them out (`--omit=optional`). */
function requireEmbeddedStack(): void {
  const missing = EMBEDDED_STACK_PACKAGES.filter((name) => {
    try {
      import.meta.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0)
    throw new CliExit(
      EXIT.FAILURE,
      `acme-ha local needs the embedded stack's emulators, optional dependencies that are not installed (${missing.join(', ')}): npm install ${EMBEDDED_STACK_PACKAGES.join(' ')}`,
    );
}

function collectNode(value: string, previous: string[]): string[] {
  if (!NODE_ID.test(value))
    throw new InvalidArgumentError(`node ids are lower-case letters, digits and '-' (${NODE_ID})`);
  return [...previous, value];
}

function parseCount(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    return n;
  };
}

function parsePrefix(value: string): string {
  if (!RESOURCE_PREFIX.test(value))
    throw new InvalidArgumentError(`prefixes are lower-case letters, digits and '-'`);
  return value;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new InvalidArgumentError('a port from 1 to 65535');
  return port;
}
