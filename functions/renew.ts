/**
 * The renew Lambda: invoked by the EventBridge schedule, on demand (`{ "certificateId", "force" }`),
 * or by itself to continue a run that did not fit in one invocation.
 */

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { powertoolsLogger } from '../adapters/logging/powertools-logger.ts';
import { systemClock } from '../core/ports/clock.ts';
import { runRenewals } from '../core/renewal/run-renewals.ts';
import { createControlPlane, settingsFromEnv } from './commons/compose-control-plane.ts';
import { awsClients, bundledConfig, logger } from './commons/runtime.ts';

export interface RenewEvent {
  readonly certificateId?: string;
  readonly force?: boolean;
  /** Set on self-invocations that continue an unfinished run. */
  readonly continuation?: number;
}

interface LambdaContext {
  readonly awsRequestId: string;
  readonly invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
}

/** Start no new certificate with less than this left: an order plus publishing fits comfortably. */
const SAFETY_MARGIN_MS = 4 * 60_000;
const MAX_CONTINUATIONS = 20;
const metrics = new Metrics({ namespace: 'acme-ha', serviceName: 'renewer' });

export async function handler(event: RenewEvent, context: LambdaContext) {
  const config = bundledConfig();
  const plane = createControlPlane(settingsFromEnv(process.env), awsClients(), {
    log: powertoolsLogger(logger),
    clock: systemClock,
    email: config.account.email,
    owner: context.awsRequestId,
  });
  const startBefore = new Date(Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
  const result = await runRenewals(config, plane, {
    force: event.force ?? false,
    certificateId: event.certificateId,
    startBefore,
  });
  for (const kind of ['renewed', 'skipped', 'locked', 'failed'] as const) {
    metrics.addMetric(
      `certificates_${kind}`,
      MetricUnit.Count,
      result.outcomes.filter((o) => o.result === kind).length,
    );
  }
  metrics.addMetric('certificates_remaining', MetricUnit.Count, result.remaining.length);
  metrics.addMetric('certificates_retired', MetricUnit.Count, result.catalog?.retired.length ?? 0);
  metrics.publishStoredMetrics();
  const continuation = (event.continuation ?? 0) + 1;
  if (result.remaining.length > 0 && continuation <= MAX_CONTINUATIONS) {
    // The rest continues in a fresh invocation instead of being cut off at 15 minutes.
    await new LambdaClient({}).send(
      new InvokeCommand({
        FunctionName: context.invokedFunctionArn,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ ...event, continuation })),
      }),
    );
    logger.info('run continues in a new invocation', { remaining: result.remaining.length, continuation });
  }
  return { outcomes: result.outcomes, remaining: result.remaining, catalog: result.catalog };
}
