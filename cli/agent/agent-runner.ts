import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { AgentMetrics } from '../../agent/agent-metrics.ts';
import { startAgentServers } from '../../agent/agent-servers.ts';
import { createAgent } from '../../agent/compose-agent.ts';
import { runAgent, syncOnce } from '../../core/agent/agent-loop.ts';
import { FAILED_RESULTS, type SyncOutcome } from '../../core/agent/sync/outcome.ts';
import { agentConfigSchema } from '../../core/config/agent-config.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, type CliIo, whereTheDetailIs } from '../io.ts';

export interface DaemonFlags {
  config: string;
  verbose?: boolean;
}

export interface SyncFlags {
  config: string;
  json?: boolean;
  verbose?: boolean;
  purge?: boolean;
}

/**
 * `acme-ha agent run`: until SIGTERM or SIGINT. A signal stops the long poll and any wait for a
 * slot or the canary at once; a file write or reload in progress completes first (writes are
 * atomic renames anyway), so no half-written keystore is ever left behind.
 */
export async function runDaemon(flags: DaemonFlags, io: CliIo): Promise<void> {
  const config = await readConfigFile(flags.config, 'agent configuration', agentConfigSchema);
  const log = new JsonLogger(io.out, 'acme-ha-agent', flags.verbose ? 'debug' : 'info', {
    nodeId: config.node.id,
  });
  const metrics = new AgentMetrics(config.node.id);
  const runtime = await createAgent(config, { log, env: io.env, observer: metrics.observer() });
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    log.info('shutdown requested', { signal });
    controller.abort();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const servers = await startAgentServers(config, { metrics, log, challengeStore: runtime.challengeStore });
  try {
    log.info('agent started', {
      certificates: runtime.options.plans.map((p) => p.certificateId),
      queueUrl: config.aws.queueUrl ?? null,
      responder: servers.responderUrl,
      metrics: servers.metricsUrl,
    });
    await runAgent(runtime.deps, runtime.options, controller.signal);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await servers.stop();
    runtime.close();
    log.info('agent stopped');
  }
}

/** `acme-ha agent sync`: one reconcile plus the queue drained; exit code 0, 4 or 5. */
export async function syncCommand(flags: SyncFlags, io: CliIo): Promise<void> {
  const config = await readConfigFile(flags.config, 'agent configuration', agentConfigSchema);
  const log = new JsonLogger(io.err, 'acme-ha-agent', flags.verbose ? 'debug' : 'warn', {
    nodeId: config.node.id,
  });
  const runtime = await createAgent(config, { log, env: io.env });
  try {
    const result = await syncOnce(runtime.deps, { ...runtime.options, purge: flags.purge ?? false });
    if (flags.json) io.out(`${JSON.stringify({ nodeId: config.node.id, ...result })}\n`);
    else if (config.targets.length === 0)
      io.err('acme-ha: no targets: this node only answers HTTP-01 challenges\n');
    else for (const outcome of result.outcomes) io.out(`${line(outcome)}\n`);
    const details = whereTheDetailIs(flags.json);
    if (result.failed) throw new CliExit(EXIT.WORK_FAILED, `a revision was not installed (${details})`);
    const converged = new Set([
      'applied',
      'unchanged',
      'up-to-date',
      'obsolete',
      'no-revision',
      'retired',
      'purged',
    ]);
    if (result.outcomes.some((o) => !converged.has(o.result)))
      throw new CliExit(EXIT.NOT_CONVERGED, `not on the desired revision yet (${details})`);
  } finally {
    runtime.close();
  }
}

function line(o: SyncOutcome): string {
  const where = `${o.certificateId}: ${o.result}`;
  const revision = o.revision === null ? '' : ` revision ${o.revision}`;
  const installed = o.installedRevision === null ? '' : ` (installed ${o.installedRevision})`;
  const problem =
    FAILED_RESULTS.has(o.result) || o.errorCode ? ` — ${o.errorCode ?? ''}: ${o.message ?? ''}` : '';
  const retired = o.result === 'retired' || o.result === 'purged' ? ` — ${o.message}` : '';
  return `${where}${revision}${installed} in ${Math.round(o.durationMs)} ms${problem}${retired}`;
}
