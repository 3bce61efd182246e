/**
 * Primary keys of the items in acme-ha's single DynamoDB table (see
 * docs/design/2026-11-28-storage-layout.md). Every reader and writer builds keys here, so the
 * layout is stated once.
 */

/** The `pk`/`sk` pair of one item. */
export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

/** Revisions are zero-padded so that sort-key order is numeric order. */
const REVISION_DIGITS = 10;

/**
 * One HTTP-01 token, the item acme-ha 0.2 responders look up by the token in the request path:
 * still written (and removed) so that nodes not yet upgraded answer during an upgrade.
 */
export function challengeKey(token: string): TableKey {
  return { pk: `CHALLENGE#${token}`, sk: 'TOKEN' };
}

/**
 * Every HTTP-01 token in flight, one attribute each (see {@link PENDING_TOKEN_PREFIX}): what
 * responders read, once for any number of requests. Under `CHALLENGE#` so that the responders' IAM
 * condition (`dynamodb:LeadingKeys` `CHALLENGE#*`) covers it; its sort key keeps it apart from any
 * token's item.
 */
export const PENDING_CHALLENGES_KEY: TableKey = { pk: 'CHALLENGE#pending', sk: 'PENDING' };

/** Attribute-name prefix of one token in {@link PENDING_CHALLENGES_KEY}. */
export const PENDING_TOKEN_PREFIX = 'token:';

/** A named lease (e.g. "renew certificate X"), taken with a conditional write. */
export function lockKey(name: string): TableKey {
  return { pk: `LOCK#${name}`, sk: 'LOCK' };
}

/** The catalog of every certificate the renewer knows, and which of them are retired. */
export const CATALOG_KEY: TableKey = { pk: 'CATALOG', sk: 'CERTIFICATES' };

/** Sort key of certificate state items, which the first catalog is built from. */
export const CERTIFICATE_STATE_SK = 'STATE';

/** Partition-key prefix of everything kept per certificate. */
export const CERTIFICATE_PK_PREFIX = 'CERT#';

/** The current state of one certificate: latest revision, expiry, failures and backoff. */
export function certificateStateKey(certificateId: string): TableKey {
  return { pk: `${CERTIFICATE_PK_PREFIX}${certificateId}`, sk: CERTIFICATE_STATE_SK };
}

/** One issued revision of a certificate (immutable once written). */
export function revisionKey(certificateId: string, revision: number): TableKey {
  if (!Number.isSafeInteger(revision) || revision < 1 || String(revision).length > REVISION_DIGITS) {
    throw new RangeError(`revision must be an integer from 1 to ${'9'.repeat(REVISION_DIGITS)}: ${revision}`);
  }
  return {
    pk: `${CERTIFICATE_PK_PREFIX}${certificateId}`,
    sk: `REV#${String(revision).padStart(REVISION_DIGITS, '0')}`,
  };
}

/** Sort-key prefix of all revisions, for `begins_with` queries (newest first: ScanIndexForward false). */
export const REVISION_PREFIX = 'REV#';

/** What one node reports for one certificate: the revision it serves, status, time, error. */
export function nodeStatusKey(certificateId: string, nodeId: string): TableKey {
  return { pk: `${CERTIFICATE_PK_PREFIX}${certificateId}`, sk: `NODE#${nodeId}` };
}

/** Sort-key prefix of all node reports of a certificate. */
export const NODE_STATUS_PREFIX = 'NODE#';

/**
 * The head: every certificate's current revision in one item (`rev:<id>` attributes), which an
 * agent's reconcile reads once for all its certificates.
 */
export const HEAD_KEY: TableKey = { pk: 'HEAD', sk: 'REVISIONS' };

/** Attribute-name prefix of a certificate's current revision in the head item. */
export const HEAD_REVISION_PREFIX = 'rev:';

/** Partition-key prefix of the nodes' own items (their heartbeats). */
export const NODE_PK_PREFIX = 'NODE#';

/** A node's heartbeat: when its agent last reconciled, whatever it reported for each certificate. */
export function nodeHeartbeatKey(nodeId: string): TableKey {
  return { pk: `${NODE_PK_PREFIX}${nodeId}`, sk: 'HEARTBEAT' };
}

/**
 * The rollout of one revision to the fleet: canary, state (canary, rolling, halted), halt reason.
 * Sorted beside the revision it rolls out.
 */
export function rolloutKey(certificateId: string, revision: number): TableKey {
  const { pk, sk } = revisionKey(certificateId, revision);
  return { pk, sk: `ROLLOUT#${sk.slice(REVISION_PREFIX.length)}` };
}
