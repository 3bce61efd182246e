import { Command, InvalidArgumentError, Option } from 'commander';
import { NODE_ID, RESOURCE_PREFIX } from '../../core/resource-layout.ts';
import {
  type LocalStack,
  type LocalStackOptions,
  type StackProgress,
  startLocalStack,
} from '../../local/stack.ts';
import type { CliIo } from './io.ts';

export interface DemoFlags {
  verbose?: boolean;
  nodes: number;
  dmz: number;
  keep?: boolean;
  json?: boolean;
}

interface UpFlags {
  node: string[];
  prefix: string;
  pebble: boolean;
  httpPort?: number;
  json?: boolean;
}

/** What `local up` needs from its process; tests pass their own. */
export interface LocalCommandDeps {
  readonly start?: (options: LocalStackOptions) => Promise<LocalStack>;
  /** Resolves with the reason to stop; SIGINT or SIGTERM by default. */
  readonly untilStopped?: () => Promise<string>;
}

/**
 * `acme-ha local up`: the embedded stack for hands-on use. Progress goes to stderr; stdout gets the
 * endpoints and environment (or, with `--json`, one object: startedInMs, region, endpoints,
 * resources, pebble, env). It runs until SIGINT/SIGTERM, then stops every server and child process.
 */
export function localCommand(io: CliIo, deps: LocalCommandDeps = {}): Command {
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
    .action(async (flags: UpFlags) => up(flags, io, deps));
  local
    .command('demo')
    .description('the main job end to end: issue, distribute, renew with a rolling reload, a failure handled')
    .option('--nodes <n>', 'internal nodes (Java, nginx, HAProxy, …)', parseCount(1, 20), 3)
    .option('--dmz <m>', 'DMZ instances', parseCount(0, 5), 1)
    .option('--keep', 'leave everything running after the summary, until Ctrl-C')
    .option('--json', 'progress on stderr; stdout gets one JSON summary line')
    .option('--verbose', "the agents' structured log on stderr")
    .action(async (flags: DemoFlags) => (await import('./demo-runner.ts')).demo(flags, io));
  return local;
}

async function up(flags: UpFlags, io: CliIo, deps: LocalCommandDeps): Promise<void> {
  const nodes = flags.node.length > 0 ? flags.node : ['node-1'];
  // Watch signals before starting: a Ctrl-C during start-up must still stop what did start.
  const signals = deps.untilStopped ? undefined : watchSignals();
  try {
    io.err('starting the embedded stack…\n');
    const stack = await (deps.start ?? startLocalStack)({
      prefix: flags.prefix,
      nodes,
      pebble: flags.pebble ? (flags.httpPort === undefined ? {} : { httpPort: flags.httpPort }) : false,
      env: io.env,
      onProgress: (event) => progressLine(event, io),
      onSetup: (line) => io.err(`  ${line}\n`),
    });
    try {
      io.out(flags.json ? `${JSON.stringify(summary(stack))}\n` : humanSummary(stack));
      io.err('running; press Ctrl-C to stop\n');
      const reason = await (deps.untilStopped?.() ?? signals?.received ?? Promise.resolve('stop'));
      io.err(`${reason}: stopping…\n`);
    } finally {
      const t0 = performance.now();
      await stack.stop();
      io.err(`stopped in ${Math.round(performance.now() - t0)} ms\n`);
    }
  } finally {
    signals?.dispose();
  }
}

function progressLine(event: StackProgress, io: CliIo): void {
  if (event.phase === 'ready') {
    const ms = `${Math.round(event.ms ?? 0)} ms`.padStart(7);
    io.err(`  ✓ ${event.component.padEnd(10)} ${ms}  ${event.detail ?? ''}\n`);
  } else if (event.phase === 'failed') {
    io.err(`  ✗ ${event.component.padEnd(10)} ${event.detail ?? ''}\n`);
  }
}

/** The `--json` object; its field names are part of the CLI's stable output. */
function summary(stack: LocalStack): Record<string, unknown> {
  const pebble = stack.pebble;
  return {
    startedInMs: Math.round(stack.startedInMs),
    region: stack.region,
    endpoints: stack.endpoints,
    resources: stack.resources,
    pebble: pebble
      ? {
          directoryUrl: pebble.directoryUrl,
          managementUrl: pebble.managementUrl,
          rootsUrl: `${pebble.managementUrl}/roots/0`,
          caFile: pebble.caFile,
          httpPort: pebble.httpPort,
          pid: pebble.pid,
          settings: pebble.settings,
        }
      : null,
    env: stack.env,
  };
}

function humanSummary(stack: LocalStack): string {
  const rows: [string, string][] = [];
  const { endpoints, resources, pebble } = stack;
  if (pebble) {
    rows.push(['ACME directory', `${pebble.directoryUrl}  (trust ${pebble.caFile})`]);
    rows.push(['Pebble roots', `${pebble.managementUrl}/roots/0  (new at every start)`]);
    rows.push([
      'HTTP-01 target',
      `127.0.0.1:${pebble.httpPort}${endpoints.challengeResponder ? '  (built-in responder, reads DynamoDB)' : ''}`,
    ]);
    if (endpoints.dns) rows.push(['DNS stub', `${endpoints.dns}/udp  (every name → 127.0.0.1)`]);
  }
  rows.push(['DynamoDB', `${endpoints.dynamodb}  table ${resources.tableName}`]);
  rows.push(['S3', `${endpoints.s3}  bucket ${resources.bucket}`]);
  rows.push(['SNS stand-in', `${endpoints.sns}  topic ${resources.topicArn}`]);
  rows.push(['SQS', endpoints.sqs]);
  for (const [node, queue] of Object.entries(resources.queues)) rows.push([`queue ${node}`, queue.url]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [
    `embedded stack up in ${(stack.startedInMs / 1000).toFixed(2)} s`,
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    '',
    '# environment for clients:',
    ...Object.entries(stack.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The first SIGINT or SIGTERM. The handlers stay until dispose(), so that a second Ctrl-C cannot
 * kill the process halfway through the cleanup (and orphan Pebble).
 */
export function watchSignals(): { received: Promise<string>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<string>((resolve) => {
    onSignal = (signal) => resolve(signal);
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
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
