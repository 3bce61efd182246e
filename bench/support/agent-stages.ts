/**
 * BENCHMARK HELPER: where one agent's time goes between a publish and its `applied` outcome. It
 * wraps the agent's ports (the production adapters stay as they are) and marks, per sync, when the
 * event arrived, when the S3 GETs began and ended, when the rollout was joined and the slot taken,
 * when the files were written, the reload returned and the last probe ended. Marks are
 * performance.now() values of this process.
 */
import type { AgentLoopDeps, AgentLoopOptions } from '../../core/agent/agent-loop.ts';

/** The stages of a sync, in order, each ending at a mark. */
export const STAGES = [
  { id: 'delivery', label: 'event delivery: publish → message received' },
  { id: 'read', label: 'state and status reads' },
  { id: 'download', label: 'S3 GETs' },
  { id: 'verify', label: 'verify + compare with the disk' },
  { id: 'gate', label: 'rollout: join, wait for the canary, take a slot' },
  { id: 'announce', label: 'status "reloading" written' },
  { id: 'write', label: 'atomic write' },
  { id: 'reload', label: 'reload' },
  { id: 'probe', label: 'probe until 3 handshakes show the serial' },
  { id: 'finish', label: 'installed record, promotion, status "applied"' },
] as const;

export type StageId = (typeof STAGES)[number]['id'];

type Mark =
  | 'received'
  | 'getStart'
  | 'getEnd'
  | 'joined'
  | 'slot'
  | 'writeStart'
  | 'writeEnd'
  | 'reloadEnd'
  | 'probeEnd';

/** The mark each stage ends at (`applied` is the outcome's time, given by the caller). */
const ENDS: Record<StageId, Mark | 'applied'> = {
  delivery: 'received',
  read: 'getStart',
  download: 'getEnd',
  verify: 'joined',
  gate: 'slot',
  announce: 'writeStart',
  write: 'writeEnd',
  reload: 'reloadEnd',
  probe: 'probeEnd',
  finish: 'applied',
};

type Hook = (start: number, end: number, result: unknown) => void;

/** `target` with each method named in `hooks` timed (every other member as it is). */
function timed<T extends object>(target: T, hooks: Readonly<Record<string, Hook>>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const hook = typeof property === 'string' ? hooks[property] : undefined;
      if (!hook) return value.bind(object);
      return async (...args: unknown[]) => {
        const start = performance.now();
        const result: unknown = await value.apply(object, args);
        hook(start, performance.now(), result);
        return result;
      };
    },
  });
}

/** The marks of one agent's latest sync that an event started. */
export class AgentStages {
  private marks: Partial<Record<Mark, number>> = {};

  /** The agent's deps and options with the timed ports. */
  instrument(
    deps: AgentLoopDeps,
    options: AgentLoopOptions,
  ): { deps: AgentLoopDeps; options: AgentLoopOptions } {
    const first = (mark: Mark, at: number) => {
      this.marks[mark] ??= at;
    };
    const last = (mark: Mark, at: number) => {
      this.marks[mark] = at;
    };
    return {
      deps: {
        ...deps,
        intake: timed(deps.intake, {
          receive: (_s, end, messages) => {
            if ((messages as unknown[]).length > 0) this.marks = { received: end };
          },
        }),
        keystores: timed(deps.keystores, {
          get: (start, end) => {
            first('getStart', start);
            last('getEnd', end);
          },
        }),
        rollouts: timed(deps.rollouts, { join: (start) => first('joined', start) }),
        lock: timed(deps.lock, { acquire: (_s, end, lease) => lease && last('slot', end) }),
        files: timed(deps.files, {
          write: (start, end) => {
            first('writeStart', start);
            last('writeEnd', end);
          },
        }),
        prober: timed(deps.prober, { probe: (_s, end) => last('probeEnd', end) }),
      },
      options: {
        ...options,
        plans: options.plans.map((plan) => ({
          ...plan,
          targets: plan.targets.map((target) => ({
            ...target,
            reloader:
              target.reloader && timed(target.reloader, { reload: (_s, end) => last('reloadEnd', end) }),
          })),
        })),
      },
    };
  }

  /** Each stage's duration in ms, from the publish to `appliedAt`; a missing mark merges its stage into the next. */
  durations(publishedAt: number, appliedAt: number): Record<StageId, number> {
    const at: Partial<Record<Mark | 'applied', number>> = { ...this.marks, applied: appliedAt };
    const out = {} as Record<StageId, number>;
    let previous = publishedAt;
    for (const stage of STAGES) {
      const end = at[ENDS[stage.id]];
      if (end === undefined) {
        out[stage.id] = 0;
        continue;
      }
      out[stage.id] = end - previous;
      previous = end;
    }
    return out;
  }
}
