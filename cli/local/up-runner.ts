/**
 * `acme-ha local up`: the embedded stack for hands-on use. Progress goes to stderr; stdout gets the
 * endpoints and environment (or, with `--json`, one object: startedInMs, region, endpoints,
 * resources, pebble, env). It runs until SIGINT/SIGTERM, then stops every server and child process.
 */
import { type LocalStack, type StackProgress, startLocalStack } from '../../local/stack.ts';
import type { CliIo } from '../io.ts';
import { watchSignals } from '../signals.ts';

export interface UpFlags {
  node: string[];
  prefix: string;
  pebble: boolean;
  httpPort?: number;
  json?: boolean;
}

export async function up(flags: UpFlags, io: CliIo): Promise<void> {
  const nodes = flags.node.length > 0 ? flags.node : ['node-1'];
  // Watch signals before starting: a Ctrl-C during start-up must still stop what did start.
  const signals = watchSignals();
  try {
    io.err('starting the embedded stack…\n');
    const stack = await startLocalStack({
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
      const reason = await signals.received;
      io.err(`${reason}: stopping…\n`);
    } finally {
      const t0 = performance.now();
      await stack.stop();
      io.err(`stopped in ${Math.round(performance.now() - t0)} ms\n`);
    }
  } finally {
    signals.dispose();
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

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
