/**
 * The one description of acme-ha's cloud resources: table name and keys, bucket, topic, and the
 * queue pair of each node. Plain data, no AWS SDK: local/resources.ts creates them through the SDK
 * against the embedded stack, and the CDK stack is to build the same shapes from this file, so the
 * two cannot drift. docs/design/2026-11-28-storage-layout.md explains the choices.
 */

/** A DynamoDB key attribute. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface TableLayout {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Attribute holding expiry in epoch seconds; DynamoDB TTL in the cloud, checked by readers always. */
  readonly timeToLiveAttribute: string;
  readonly billingMode: 'PAY_PER_REQUEST';
}

export interface QueueLayout {
  /** The queue a node's agent long-polls. */
  readonly name: string;
  /** Where messages go after `maxReceiveCount` failed receives. */
  readonly deadLetterName: string;
  readonly maxReceiveCount: number;
  /** Seconds a received message stays invisible; longer than a rolling reload takes. */
  readonly visibilityTimeoutSeconds: number;
  /** Seconds messages are kept: a node that was down for a week still finds its events. */
  readonly retentionSeconds: number;
}

export interface ResourceNames {
  readonly prefix: string;
  readonly table: TableLayout;
  readonly bucket: string;
  readonly topic: string;
  /** The queue pair of one node. */
  queue(nodeId: string): QueueLayout;
}

/** Node ids become part of queue names (at most 80 characters of [A-Za-z0-9_-] in SQS). */
export const NODE_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** Prefixes become part of bucket names, hence lower case. */
export const RESOURCE_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/;

export const DEFAULT_PREFIX = 'acme-ha';

/**
 * Resource names under one prefix. Tests that share one stack pass their own prefix to stay
 * isolated; a deployment uses the default (or its stage name).
 * @throws RangeError for a prefix or node id that cannot become a resource name
 */
export function resourceNames(prefix: string = DEFAULT_PREFIX): ResourceNames {
  if (!RESOURCE_PREFIX.test(prefix))
    throw new RangeError(`resource prefix ${JSON.stringify(prefix)}: ${RESOURCE_PREFIX}`);
  return {
    prefix,
    table: {
      name: prefix,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      timeToLiveAttribute: 'expiresAt',
      billingMode: 'PAY_PER_REQUEST',
    },
    bucket: `${prefix}-keystores`,
    topic: `${prefix}-events`,
    queue(nodeId) {
      if (!NODE_ID.test(nodeId)) throw new RangeError(`node id ${JSON.stringify(nodeId)}: ${NODE_ID}`);
      return {
        name: `${prefix}-node-${nodeId}`,
        deadLetterName: `${prefix}-node-${nodeId}-dlq`,
        maxReceiveCount: 5,
        visibilityTimeoutSeconds: 300,
        retentionSeconds: 14 * 24 * 3600,
      };
    },
  };
}
