/**
 * Control planes for the fault suites: the production wiring (createControlPlane) on the embedded
 * stack, with a clock that can be moved forward (lease expiry without waiting 15 minutes), a
 * counter of what actually reaches the CA, and optional wrappers that make a run crash.
 */

import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { Logger } from '../../core/ports/logger.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { IssueRequest } from '../../core/renewal/types.ts';
import { type ControlPlane, createControlPlane } from '../../functions/commons/compose-control-plane.ts';
import type { LocalClientConfigs } from '../../local/client-config.ts';
import { stackControlPlaneSettings } from '../../local/control-plane-settings.ts';
import type { LocalStack } from '../../local/stack.ts';

/** Real time plus an offset the test moves forward: every plane sharing it sees the same jump. */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export interface PlaneOptions {
  readonly owner: string;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Overrides of the stack's client configs (e.g. endpoints through a fault proxy). */
  readonly clientConfigs?: Partial<LocalClientConfigs>;
  /** Each request that reaches the real issuer (the CA). */
  readonly onOrder?: (request: IssueRequest) => void;
  /**
   * Called before the real issuer; return a promise that never settles to make the run "die" while
   * it holds the lease (no release, no failure record), as a killed Lambda would.
   */
  readonly beforeOrder?: (request: IssueRequest) => Promise<void> | undefined;
  /** Called after the CA issued, before anything is stored (switch a store off here). */
  readonly afterOrder?: (request: IssueRequest) => void;
}

export interface FaultPlane {
  readonly plane: ControlPlane;
  readonly clients: AwsClients;
  close(): void;
}

export function faultPlane(stack: LocalStack, options: PlaneOptions): FaultPlane {
  const clients = createAwsClients({ ...stack.clientConfigs, ...options.clientConfigs });
  const plane = createControlPlane(stackControlPlaneSettings(stack), clients, {
    log: options.log ?? silentLogger,
    clock: options.clock ?? { now: () => new Date() },
    env: options.env ?? {},
    owner: options.owner,
  });
  const issuer = plane.issuer;
  return {
    plane: {
      ...plane,
      issuer: {
        issue: async (request) => {
          const crash = options.beforeOrder?.(request);
          if (crash) await crash;
          options.onOrder?.(request);
          const issued = await issuer.issue(request);
          options.afterOrder?.(request);
          return issued;
        },
        renewalInfo: (directory, id) => issuer.renewalInfo(directory, id),
      },
    },
    clients,
    close: () => clients.destroy(),
  };
}
