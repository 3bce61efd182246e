import { createServer } from 'node:http';
import type { ChallengeResponder } from '../adapters/http/challenge-responder.ts';
import { closeHttp, listenOn } from '../adapters/http/http-server.ts';
import type { AgentConfig } from '../core/config/agent-config.ts';
import type { ChallengeStore } from '../core/ports/challenge-store.ts';
import type { Logger } from '../core/ports/logger.ts';
import type { AgentMetrics } from './agent-metrics.ts';

export interface AgentServers {
  readonly responderUrl: string | null;
  readonly metricsUrl: string | null;
  stop(): Promise<void>;
}

export interface AgentServerDeps {
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  /** The challenge store of lookup mode, made only when that mode is configured. */
  readonly challengeStore: () => Promise<Pick<ChallengeStore, 'pending'>>;
}

/**
 * The optional node-local HTTP-01 responder and the Prometheus endpoint of `agent run`. The
 * responder's modules load only when it is configured. When one fails to listen, what did start is
 * stopped before the error is rethrown.
 */
export async function startAgentServers(config: AgentConfig, deps: AgentServerDeps): Promise<AgentServers> {
  let responder: ChallengeResponder | undefined;
  let metricsServer: ReturnType<typeof createServer> | undefined;
  const stop = async () => {
    await responder?.stop();
    if (metricsServer) await closeHttp(metricsServer);
  };
  try {
    if (config.responder) {
      const { host, port, mode, redirectUrl } = config.responder;
      const { startChallengeResponder } = await import('../adapters/http/challenge-responder.ts');
      responder = await startChallengeResponder({
        host,
        port,
        ...(mode === 'redirect' && redirectUrl ? { redirectUrl } : { store: await deps.challengeStore() }),
        // A token served is worth a line; a 404 (a scanner's made-up token) only at debug level, so
        // that a flood on port 80 does not become a flood in the journal.
        onRequest: (request) =>
          request.status === 200
            ? deps.log.info('challenge answered', { ...request })
            : deps.log.debug('challenge not found', { ...request }),
      });
    }
    let metricsUrl: string | null = null;
    if (config.metrics) {
      const { host, port } = config.metrics;
      metricsServer = createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(deps.metrics.render());
      });
      metricsUrl = `http://${host}:${await listenOn(metricsServer, port, host)}/metrics`;
    }
    return { responderUrl: responder?.url ?? null, metricsUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
