import type { DmzPusher, DmzPushReport } from '../dmz/push-to-dmz.ts';
import type { EventIntake, IntakeMessage } from '../ports/event-intake.ts';
import { ReconcileMemory } from './reconcile-memory.ts';
import type { AgentDeps } from './sync/agent-deps.ts';
import { FAILED_RESULTS, SETTLED_RESULTS, type SyncOutcome, withOutcome } from './sync/outcome.ts';
import type { CertificatePlan } from './sync/plan.ts';
import { syncCertificate } from './sync/sync-certificate.ts';

export interface AgentLoopDeps extends AgentDeps {
  readonly intake: EventIntake;
  /** Pushes installed revisions to the DMZ instances this node serves (none when absent). */
  readonly dmz?: DmzPusher | undefined;
}

/** Hooks for metrics and tests. */
export interface AgentObserver {
  onSync?(outcome: SyncOutcome, trigger: 'reconcile' | 'event'): void;
  onPoison?(message: IntakeMessage, deadLettered: boolean): void;
}

export interface AgentLoopOptions {
  readonly plans: readonly CertificatePlan[];
  readonly reconcileIntervalMs: number;
  /** The queue's redrive maxReceiveCount: the receive at which a poison message is reported as dead-lettered. */
  readonly maxReceiveCount: number;
  readonly observer?: AgentObserver;
  /** Delete the files of retired certificates (`agent sync --purge`). */
  readonly purge?: boolean;
  /** What the daemon remembers between reconciles (core/agent/reconcile-memory.ts); none: read everything. */
  readonly memory?: ReconcileMemory;
}

/**
 * Syncs every planned certificate against the desired revision (at start, on an interval, `agent
 * sync`), then writes the node's heartbeat: one write per reconcile says the node is alive, whatever
 * it serves, so that reports need rewriting only when they change. With a memory, a reconcile that
 * is not a full one reads the head once and syncs only the certificates it cannot settle from it.
 */
export async function reconcileAll(
  deps: AgentDeps & Pick<AgentLoopDeps, 'dmz'>,
  options: Pick<AgentLoopOptions, 'plans' | 'observer' | 'purge' | 'memory'>,
  signal?: AbortSignal,
): Promise<SyncOutcome[]> {
  const { memory } = options;
  const head = memory && !memory.nextIsFull() ? await readHead(deps) : null;
  const outcomes: SyncOutcome[] = [];
  for (const plan of options.plans) {
    if (signal?.aborted) break;
    const outcome =
      (head && (await memory?.settled(deps, plan, head))) ||
      (await syncCertificate(deps, plan, { signal, purge: options.purge ?? false }));
    deps.dmz?.notify(outcome);
    options.observer?.onSync?.(outcome, 'reconcile');
    outcomes.push(outcome);
  }
  if (!signal?.aborted)
    await deps.status.beat(deps.nodeId, deps.clock.now()).catch((error: unknown) => {
      deps.log.warn('heartbeat not written', { error: (error as Error).message });
    });
  return outcomes;
}

/** The head, or null (every certificate then synced in full) where there is none or it cannot be read. */
async function readHead(deps: AgentDeps): Promise<ReadonlyMap<string, number> | null> {
  try {
    return (await deps.state.head?.()) ?? null;
  } catch (error) {
    deps.log.warn('head not read', { error: (error as Error).message });
    return null;
  }
}

export type MessageVerdict = 'acknowledged' | 'released';

/**
 * Handles one queue message: a revision event triggers a sync of that certificate (the event is a
 * hint; the node converges on the newest revision). The message is deleted only when the sync
 * settled it (applied, judged obsolete, halted, reported rolled back); otherwise it is released with
 * a growing delay, and after the queue's maximum receive count SQS moves it to the dead-letter
 * queue. Poison messages (unreadable) are released the same way and reported each time.
 */
export async function handleMessage(
  deps: AgentLoopDeps,
  options: AgentLoopOptions,
  message: IntakeMessage,
  signal?: AbortSignal,
): Promise<MessageVerdict> {
  const log = deps.log;
  const retryDelay = Math.min(300, 15 * 2 ** Math.max(0, message.receiveCount - 1));
  if (!message.event) {
    const deadLettered = message.receiveCount >= options.maxReceiveCount;
    log.error(deadLettered ? 'poison message dead-lettered' : 'poison message', {
      messageId: message.id,
      receiveCount: message.receiveCount,
      maxReceiveCount: options.maxReceiveCount,
      problem: message.problem,
    });
    options.observer?.onPoison?.(message, deadLettered);
    // Released at once when this was the last receive: SQS moves it to the DLQ as it reappears.
    await deps.intake.release(message, deadLettered ? 0 : retryDelay);
    return 'released';
  }
  const event = message.event;
  if (event.type !== 'certificate.revision_published') {
    log.warn('renewal failed upstream', { certificateId: event.certificateId, errorCode: event.errorCode });
    await deps.intake.acknowledge(message);
    return 'acknowledged';
  }
  const plan = options.plans.find((p) => p.certificateId === event.certificateId);
  if (!plan) {
    // A certificate this node only pushes (a DMZ instance's own): push the new revision now.
    if (deps.dmz?.pushes(event.certificateId)) {
      log.info('event received for a DMZ instance', {
        certificateId: event.certificateId,
        revision: event.revision,
      });
      deps.dmz.notify({ certificateId: event.certificateId, result: 'published' });
      await deps.intake.acknowledge(message);
      return 'acknowledged';
    }
    log.debug('event not for this node', { certificateId: event.certificateId, revision: event.revision });
    await deps.intake.acknowledge(message);
    return 'acknowledged';
  }
  log.info('event received', {
    certificateId: event.certificateId,
    revision: event.revision,
    messageId: message.id,
    receiveCount: message.receiveCount,
  });
  const outcome = await syncCertificate(deps, plan, { hint: event.revision, signal });
  deps.dmz?.notify(outcome);
  options.observer?.onSync?.(outcome, 'event');
  if (SETTLED_RESULTS.has(outcome.result)) {
    await deps.intake.acknowledge(message);
    return 'acknowledged';
  }
  // Interrupted by shutdown: visible again at once for the next start. Failures: back off.
  await deps.intake.release(message, outcome.result === 'interrupted' ? 0 : retryDelay);
  return 'released';
}

/**
 * The daemon: reconcile at start, then long-poll the queue, reconciling again every interval, until
 * `signal` aborts. A sync in progress when the signal comes finishes its current file write and
 * reload (they are never cut in half); waits for slots or the canary end early.
 */
export async function runAgent(
  given: AgentLoopDeps,
  loop: AgentLoopOptions,
  signal: AbortSignal,
): Promise<void> {
  const { deps, options } = remembering(given, loop);
  // DMZ pushes run beside the loop: a receiver that is down must not hold up the node's own syncs.
  const pushing = deps.dmz?.run(signal).catch((error: unknown) => {
    deps.log.error('dmz pusher stopped', { error: (error as Error).message });
  });
  await reconcileAll(deps, options, signal);
  let nextReconcile = deps.clock.now().getTime() + options.reconcileIntervalMs;
  let failures = 0;
  /** While the queue is unavailable: when to try it again. */
  let retryQueueAt = 0;
  while (!signal.aborted) {
    let messages: IntakeMessage[] = [];
    const now = deps.clock.now().getTime();
    if (now < retryQueueAt) {
      // Backing off from the queue, but not from the reconcile: with SQS down and the table up, the
      // node still catches up on time.
      await deps.sleep(Math.min(retryQueueAt, nextReconcile) - now, signal);
    } else {
      try {
        // The long poll never outlasts the next reconcile: the interval is a promise, even when the
        // queue is quiet (or an event went astray, e.g. into a poll abandoned by a restart).
        const untilReconcile = Math.ceil((nextReconcile - now) / 1000);
        messages = await deps.intake.receive({
          signal,
          waitSeconds: Math.max(1, Math.min(20, untilReconcile)),
        });
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
        deps.log.error('queue unavailable', { error: (error as Error).message, retryInMs: delay });
        retryQueueAt = deps.clock.now().getTime() + delay;
      }
    }
    for (const message of messages) {
      try {
        await handleMessage(deps, options, message, signal);
      } catch (error) {
        // An acknowledge/release that failed: the message comes back after its visibility timeout.
        deps.log.error('message handling failed', { messageId: message.id, error: (error as Error).message });
      }
    }
    if (!signal.aborted && deps.clock.now().getTime() >= nextReconcile) {
      await reconcileAll(deps, options, signal);
      nextReconcile = deps.clock.now().getTime() + options.reconcileIntervalMs;
    }
  }
  await pushing;
}

/** The daemon's deps and options with a {@link ReconcileMemory} fed by every outcome and report write. */
function remembering(
  deps: AgentLoopDeps,
  options: AgentLoopOptions,
): { deps: AgentLoopDeps; options: AgentLoopOptions } {
  const memory = options.memory ?? new ReconcileMemory();
  return {
    deps: { ...deps, status: memory.watch(deps.status) },
    options: {
      ...options,
      memory,
      observer: {
        ...options.observer,
        onSync: (outcome, trigger) => {
          memory.remember(outcome);
          options.observer?.onSync?.(outcome, trigger);
        },
      },
    },
  };
}

export interface SyncOnceResult {
  readonly outcomes: readonly SyncOutcome[];
  readonly messages: { readonly acknowledged: number; readonly released: number };
  readonly failed: boolean;
  /** One attempt per DMZ instance and certificate, after the node's own sync (absent without peers). */
  readonly dmz?: readonly DmzPushReport[];
}

/**
 * `agent sync`: one reconcile, then the queue drained of what is waiting (events the reconcile just
 * made obsolete are deleted), without long polling. The result has one outcome per certificate and
 * revision: an event of the revision the reconcile just installed is deleted from the queue, and its
 * sync (`up-to-date`) is not reported as a second outcome (see {@link withOutcome}).
 */
export async function syncOnce(
  deps: AgentLoopDeps,
  options: AgentLoopOptions,
  signal?: AbortSignal,
): Promise<SyncOnceResult> {
  // One outcome per certificate already (one sync per plan); the queue's events merge into them.
  let outcomes: SyncOutcome[] = [...(await reconcileAll(deps, options, signal))];
  const counts = { acknowledged: 0, released: 0 };
  const seen = new Set<string>();
  for (let round = 0; round < 10 && !signal?.aborted; round++) {
    const messages = (await deps.intake.receive({ waitSeconds: 0, ...(signal ? { signal } : {}) })).filter(
      (m) => !seen.has(m.id),
    );
    if (messages.length === 0) break;
    for (const message of messages) {
      seen.add(message.id);
      const verdict = await handleMessage(
        deps,
        {
          ...options,
          observer: {
            ...options.observer,
            onSync: (o, t) => {
              outcomes = withOutcome(outcomes, o);
              options.observer?.onSync?.(o, t);
            },
          },
        },
        message,
        signal,
      );
      counts[verdict]++;
    }
  }
  const dmz = deps.dmz ? await deps.dmz.pushAll(signal) : undefined;
  return {
    outcomes,
    messages: counts,
    failed: outcomes.some((o) => FAILED_RESULTS.has(o.result)),
    ...(dmz ? { dmz } : {}),
  };
}
