import type { AwsClients } from '../../adapters/aws/aws-clients.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { type ControlPlane, createControlPlane } from '../../functions/commons/compose-control-plane.ts';
import { stackControlPlaneSettings } from '../../local/control-plane-settings.ts';
import type { LocalStack } from '../../local/stack.ts';

/** The production control plane on a test's embedded stack, silent, on the system clock. */
export function aControlPlane(
  stack: LocalStack,
  clients: AwsClients,
  env: NodeJS.ProcessEnv = {},
): ControlPlane {
  return createControlPlane(stackControlPlaneSettings(stack), clients, {
    log: silentLogger,
    clock: systemClock,
    env,
    owner: 'test',
  });
}
