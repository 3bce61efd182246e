import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { type DemoReporter, type DemoSummary, runDemo } from '../../local/demo/run-demo.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, type CliIo } from '../io.ts';
import { watchSignals } from '../signals.ts';
import { renderFleetCertificate } from '../status/fleet-table.ts';

export interface DemoFlags {
  verbose?: boolean;
  nodes: number;
  dmz: number;
  keep?: boolean;
  json?: boolean;
}

/** ANSI colours only on a terminal, never in pipes, logs or --json. */
function painter(enabled: boolean) {
  const wrap = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap('1'), green: wrap('32'), yellow: wrap('33'), dim: wrap('2') };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Clear steps with timings, readable on an 80-column terminal. */
function humanReporter(write: (text: string) => void, colour: boolean): DemoReporter {
  const paint = painter(colour);
  return {
    step: (index, total, title) => write(`\n${paint.bold(`[${index}/${total}] ${title}`)}\n`),
    detail: (text) => write(`      ${text}\n`),
    done: (ms, text) => write(`      ${paint.green('✓')} ${text} ${paint.dim(`(${seconds(ms)})`)}\n`),
    warn: (text) => write(`      ${paint.yellow('!')} ${text}\n`),
    fleet: (status) => {
      for (const line of renderFleetCertificate(status, new Date()).trimEnd().split('\n'))
        write(`      ${line}\n`);
    },
  };
}

function summaryLines(summary: DemoSummary): string {
  const c = summary.certificate;
  const lines = [
    '',
    `${summary.ok ? 'OK' : 'NOT OK'}: ${c.sans.join(', ')}`,
    `  serial ${c.serial}, revision ${c.revision}, valid until ${c.notAfter}`,
    `  issuer ${c.issuer}`,
    ...summary.certificates.map(
      (cert) =>
        `  ${cert.id}: names resolve to ${cert.publicEndpoint === 'dmz' ? 'the DMZ instance' : 'the load balancer'}; served by ${cert.servedBy.join(', ') || 'nobody'}`,
    ),
    `  renewal converged on ${summary.nodes.length} node(s) in ${summary.renewal.convergenceMs} ms`,
    `  failure drill: ${summary.failure.node} ${summary.failure.result}, halted ${summary.failure.haltedNodes.join(', ') || 'none'}, recovered at revision ${summary.failure.recoveredRevision}`,
    ...(summary.zeroDowntime
      ? [
          `  zero downtime: ${summary.zeroDowntime.withDrain.during.failed} of ${summary.zeroDowntime.withDrain.during.requests} requests failed during a rollout with drain, ${summary.zeroDowntime.withoutDrain.during.failed} of ${summary.zeroDowntime.withoutDrain.during.requests} without`,
        ]
      : []),
    `  done in ${seconds(summary.durationMs)}`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function demo(flags: DemoFlags, io: CliIo): Promise<void> {
  const progress = flags.json ? io.err : io.out;
  const reporter = humanReporter(progress, !flags.json && process.stdout.isTTY === true);
  const controller = new AbortController();
  const signals = watchSignals();
  signals.received.then((signal) => controller.abort(new Error(`${signal}: stopping`)));
  try {
    const summary = await runDemo({
      nodes: flags.nodes,
      dmz: flags.dmz,
      env: io.env,
      reporter,
      signal: controller.signal,
      log: flags.verbose ? new JsonLogger(io.err, 'acme-ha-demo', 'debug') : undefined,
      whileRunning: async (s) => {
        if (flags.json) io.out(`${JSON.stringify(s)}\n`);
        else io.out(summaryLines(s));
        if (!flags.keep) return;
        progress('\nrunning; press Ctrl-C to stop\n');
        await signals.received;
      },
    });
    if (!summary.ok)
      throw new CliExit(EXIT.WORK_FAILED, 'the demo finished, but not every node serves the certificate');
  } catch (error) {
    if (controller.signal.aborted && !flags.keep)
      throw new CliExit(EXIT.FAILURE, 'interrupted; everything was stopped');
    throw error;
  } finally {
    signals.dispose();
  }
}
