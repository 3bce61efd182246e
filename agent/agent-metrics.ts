import type { AgentObserver } from '../core/agent/agent-loop.ts';
import { FAILED_RESULTS, type SyncOutcome } from '../core/agent/sync/outcome.ts';

/**
 * The agent's Prometheus metrics, kept from sync outcomes: installed revision, the targeted
 * certificate's notAfter, the last result (one series per result, 1 for the current one), when it
 * happened and how long it took, and poison messages seen.
 */
export class AgentMetrics {
  private readonly last = new Map<string, SyncOutcome & { at: number }>();
  private poison = 0;
  private deadLettered = 0;

  constructor(private readonly nodeId: string) {}

  observer(): AgentObserver {
    return {
      onSync: (outcome) => {
        this.last.set(outcome.certificateId, { ...outcome, at: Date.now() });
      },
      onPoison: (_message, dead) => {
        this.poison++;
        if (dead) this.deadLettered++;
      },
    };
  }

  /** The text exposition format (version 0.0.4). */
  render(): string {
    const lines: string[] = [];
    const metric = (
      name: string,
      type: string,
      help: string,
      samples: [Record<string, string>, number][],
    ) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples)
        lines.push(`${name}${labelText({ node: this.nodeId, ...labels })} ${value}`);
    };
    const outcomes = [...this.last.values()];
    metric(
      'acme_ha_agent_installed_revision',
      'gauge',
      'Revision installed on this node.',
      outcomes.map((o) => [{ certificate: o.certificateId }, o.installedRevision ?? 0]),
    );
    metric(
      'acme_ha_agent_certificate_not_after_seconds',
      'gauge',
      'notAfter of the newest revision seen, Unix seconds.',
      outcomes.flatMap((o) =>
        o.notAfter ? [[{ certificate: o.certificateId }, Math.floor(Date.parse(o.notAfter) / 1000)]] : [],
      ),
    );
    metric(
      'acme_ha_agent_last_sync_result',
      'gauge',
      'Result of the last sync (1 for the current result).',
      outcomes.map((o) => [{ certificate: o.certificateId, result: o.result }, 1]),
    );
    metric(
      'acme_ha_agent_last_sync_failed',
      'gauge',
      '1 when the last sync failed (rejected, rolled back, failed).',
      outcomes.map((o) => [{ certificate: o.certificateId }, FAILED_RESULTS.has(o.result) ? 1 : 0]),
    );
    metric(
      'acme_ha_agent_last_sync_timestamp_seconds',
      'gauge',
      'When the last sync finished, Unix seconds.',
      outcomes.map((o) => [{ certificate: o.certificateId }, Math.floor(o.at / 1000)]),
    );
    metric(
      'acme_ha_agent_last_sync_duration_seconds',
      'gauge',
      'How long the last sync took.',
      outcomes.map((o) => [{ certificate: o.certificateId }, o.durationMs / 1000]),
    );
    metric('acme_ha_agent_poison_messages_total', 'counter', 'Unreadable queue messages received.', [
      [{}, this.poison],
    ]);
    metric(
      'acme_ha_agent_dead_lettered_messages_total',
      'counter',
      'Poison messages at their last receive.',
      [[{}, this.deadLettered]],
    );
    return `${lines.join('\n')}\n`;
  }
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`,
  );
  return `{${parts.join(',')}}`;
}
