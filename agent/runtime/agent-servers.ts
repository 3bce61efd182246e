import { createServer } from 'node:http';
import type { AgentConfig } from '../../core/agent/agent-config.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { ChallengeResponder } from '../../local/challenge-responder.ts';
import { closeHttp } from '../../local/net.ts';
import type { AgentMetrics } from './agent-metrics.ts';
import type { AgentRuntime } from './create-agent.ts';

export interface AgentServers {
  readonly responderUrl: string | null;
  readonly metricsUrl: string | null;
  stop(): Promise<void>;
}

/**
 * The optional node-local HTTP-01 responder and the Prometheus endpoint of `agent run`. The
 * responder's modules load only when it is configured.
 */
export async function startAgentServers(
  config: AgentConfig,
  runtime: AgentRuntime,
  metrics: AgentMetrics,
  log: Logger,
): Promise<AgentServers> {
  let responder: ChallengeResponder | undefined;
  if (config.responder) {
    const r = config.responder;
    const [{ startChallengeResponder }, { DynamoChallengeStore }] = await Promise.all([
      import('../../local/challenge-responder.ts'),
      import('../../adapters/aws/dynamo-challenge-store.ts'),
    ]);
    responder = await startChallengeResponder({
      host: r.host,
      port: r.port,
      ...(r.mode === 'redirect' && r.redirectUrl
        ? { redirectUrl: r.redirectUrl }
        : {
            store: new DynamoChallengeStore(runtime.clients.documents, config.aws.table, runtime.deps.clock),
          }),
      onRequest: (request) => log.info('challenge answered', { ...request }),
    });
  }
  const server = config.metrics
    ? createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render());
      })
    : undefined;
  let metricsUrl: string | null = null;
  if (server && config.metrics) {
    const { host, port } = config.metrics;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    metricsUrl = `http://${host}:${typeof address === 'object' && address ? address.port : port}/metrics`;
  }
  return {
    responderUrl: responder?.url ?? null,
    metricsUrl,
    stop: async () => {
      await responder?.stop();
      if (server) await closeHttp(server);
    },
  };
}
