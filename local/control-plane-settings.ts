import type { ControlPlaneSettings } from '../functions/commons/compose-control-plane.ts';
import type { LocalStack } from './stack.ts';

/**
 * The renewer's settings for the embedded stack (tests, the demo, benchmarks): its resources,
 * Pebble's listener CA to trust, and a poll interval fit for Pebble.
 */
export function stackControlPlaneSettings(stack: {
  readonly resources: Pick<LocalStack['resources'], 'tableName' | 'bucket' | 'topicArn'>;
  readonly pebble: { readonly caPem: string } | undefined;
}): ControlPlaneSettings {
  return {
    ACME_HA_TABLE: stack.resources.tableName,
    ACME_HA_BUCKET: stack.resources.bucket,
    ACME_HA_TOPIC_ARN: stack.resources.topicArn,
    ACME_HA_CA_BUNDLE: stack.pebble?.caPem,
    ACME_HA_POLL_MS: 50,
  };
}
