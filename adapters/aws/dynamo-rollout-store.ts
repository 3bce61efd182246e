import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type SlotHolder, slotNames } from '../../core/agent/rollout-slot.ts';
import type { RolloutSteering } from '../../core/ports/rollout-steering.ts';
import {
  newRollout,
  type Rollout,
  type RolloutJoin,
  type RolloutStore,
} from '../../core/ports/rollout-store.ts';
import { canaryExpired, everyNodeServes } from '../../core/ports/rollout-transitions.ts';
import { lockKey, rolloutKey } from '../../core/table-keys.ts';

/** One conditional update: its expressions and values; `#state` is named when an expression uses it. */
interface Change {
  readonly update: string;
  readonly condition: string;
  readonly values: Record<string, unknown>;
}

/**
 * Rollout records (`CERT#<id>` / `ROLLOUT#<revision>`), each change one conditional write that
 * states a rule of core/ports/rollout-transitions.ts: the first `join` creates the record
 * (attribute_not_exists) and is the canary; `promote` moves canary → rolling only for the canary;
 * `halt` wins over anything but an earlier halt; `takeOver` succeeds once, after the deadline;
 * `served` completes the rollout with a second write conditioned on what the first one returned.
 *
 * Node lists are string sets (ADD and DELETE are atomic, so simultaneous joins and serves all
 * count); DynamoDB has no empty set, so an empty list is an absent attribute, and so are `nodes`
 * (null) and the pause and completion fields when null. Items written before 0.3 have none of them
 * and read as empty lists, no declared nodes, not paused.
 */
export class DynamoRolloutStore implements RolloutStore, RolloutSteering {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async join(request: RolloutJoin): Promise<Rollout> {
    const record = newRollout(request);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...rolloutKey(request.certificateId, request.revision), ...toItem(record) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { certificateId, revision, nodeId, now } = request;
    const vanished = () => new Error(`rollout of ${certificateId} revision ${revision} vanished`);
    const joined = await this.attempt(certificateId, revision, {
      update: 'ADD joined :nodes',
      condition: 'attribute_exists(pk)',
      values: { ':nodes': new Set([nodeId]) },
    });
    if (joined === 'refused') throw vanished();
    let existing: Rollout = joined;
    // A canary past its deadline (crashed, or named by a resume): the joiner takes the role.
    if (canaryExpired(existing, now))
      existing = (await this.takeOver(request)) ?? (await this.get(certificateId, revision)) ?? existing;
    if (existing.state === 'complete' && existing.nodes === null && !existing.done.includes(nodeId)) {
      // The fleet turned out bigger than the nodes that had joined: complete no longer holds.
      const reopened = await this.change(certificateId, revision, {
        update: 'SET #state = :rolling, updatedAt = :now REMOVE completedAt',
        condition: '#state = :complete AND attribute_not_exists(nodes) AND NOT contains(done, :node)',
        values: { ':rolling': 'rolling', ':complete': 'complete', ':node': nodeId, ':now': iso(now) },
      });
      if (!reopened) throw vanished();
      existing = reopened;
    }
    return existing;
  }

  async get(certificateId: string, revision: number): Promise<Rollout | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: rolloutKey(certificateId, revision),
        ConsistentRead: true,
      }),
    );
    return Item ? toRollout(Item) : null;
  }

  async promote(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null> {
    return this.change(certificateId, revision, {
      update: 'SET #state = :rolling, updatedAt = :now',
      condition: '#state = :canary AND canary = :node',
      values: { ':rolling': 'rolling', ':canary': 'canary', ':node': nodeId, ':now': iso(now) },
    });
  }

  async served(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null> {
    const after = await this.attempt(certificateId, revision, {
      update: 'ADD done :nodes DELETE failed :nodes SET updatedAt = :now',
      condition: 'attribute_exists(pk)',
      values: { ':nodes': new Set([nodeId]), ':now': iso(now) },
    });
    if (after === 'refused') return null;
    if ((after.state !== 'canary' && after.state !== 'rolling') || !everyNodeServes(after)) return after;
    // Complete, if nothing changed what `after` shows: the state, and (no declared nodes) no node
    // joined since. A serve that lost this race leaves completion to the later one.
    const undeclared = after.nodes === null;
    return this.change(certificateId, revision, {
      update: 'SET #state = :complete, completedAt = :now, updatedAt = :now REMOVE pausedBy, pausedAt',
      condition: `#state IN (:canary, :rolling)${undeclared ? ' AND size(joined) = :joined' : ''}`,
      values: {
        ':complete': 'complete',
        ':canary': 'canary',
        ':rolling': 'rolling',
        ':now': iso(now),
        ...(undeclared ? { ':joined': after.joined.length } : {}),
      },
    });
  }

  async halt(
    certificateId: string,
    revision: number,
    nodeId: string,
    reason: string,
    now: Date,
  ): Promise<Rollout | null> {
    const first = await this.attempt(certificateId, revision, {
      update: 'SET #state = :halted, haltedBy = :node, reason = :reason, updatedAt = :now ADD failed :nodes',
      condition: 'attribute_exists(pk) AND #state <> :halted',
      values: {
        ':halted': 'halted',
        ':node': nodeId,
        ':reason': reason,
        ':now': iso(now),
        ':nodes': new Set([nodeId]),
      },
    });
    if (first !== 'refused') return first;
    // Halted already (the first halt and its reason stand), or no record: only count the failure.
    const counted = await this.attempt(certificateId, revision, {
      update: 'ADD failed :nodes',
      condition: 'attribute_exists(pk)',
      values: { ':nodes': new Set([nodeId]) },
    });
    return counted === 'refused' ? null : counted;
  }

  async takeOver(request: RolloutJoin): Promise<Rollout | null> {
    const taken = await this.attempt(request.certificateId, request.revision, {
      update: 'SET canary = :node, canaryDeadline = :deadline, updatedAt = :now',
      condition: '#state = :canary AND canaryDeadline < :now',
      values: {
        ':node': request.nodeId,
        ':deadline': iso(request.canaryDeadline),
        ':now': iso(request.now),
        ':canary': 'canary',
      },
    });
    return taken === 'refused' ? null : taken;
  }

  async pause(certificateId: string, revision: number, by: string, now: Date): Promise<Rollout | null> {
    return this.change(certificateId, revision, {
      update: 'SET pausedBy = :by, pausedAt = :now, updatedAt = :now',
      condition: '#state IN (:canary, :rolling) AND attribute_not_exists(pausedAt)',
      values: { ':by': by, ':now': iso(now), ':canary': 'canary', ':rolling': 'rolling' },
    });
  }

  async resume(certificateId: string, revision: number, now: Date): Promise<Rollout | null> {
    // A halted rollout: canary again, the node that failed named canary with its deadline passed.
    const reopened = await this.attempt(certificateId, revision, {
      update:
        'SET #state = :canary, canary = haltedBy, canaryDeadline = :now, haltedBy = :null, reason = :null, updatedAt = :now REMOVE pausedBy, pausedAt',
      condition: '#state = :halted AND attribute_type(haltedBy, :string)',
      values: { ':canary': 'canary', ':halted': 'halted', ':null': null, ':string': 'S', ':now': iso(now) },
    });
    if (reopened !== 'refused') return reopened;
    return this.change(certificateId, revision, {
      update: 'SET updatedAt = :now REMOVE pausedBy, pausedAt',
      condition: 'attribute_exists(pausedAt) AND #state <> :halted',
      values: { ':now': iso(now), ':halted': 'halted' },
    });
  }

  /**
   * Who holds the certificate's rollout slots now (for `acme-ha rollout status`): a read of the
   * DynamoLock items the slots are, unexpired ones only. Not a port: only the CLI asks, and only here.
   */
  async slotHolders(certificateId: string, maxParallel: number, now: Date): Promise<SlotHolder[]> {
    const items = await Promise.all(
      slotNames(certificateId, maxParallel).map(async (slot) => {
        const { Item } = await this.db.send(
          new GetCommand({ TableName: this.table, Key: lockKey(slot), ConsistentRead: true }),
        );
        return { slot, item: Item };
      }),
    );
    return items.flatMap(({ slot, item }) =>
      item && typeof item.leaseUntil === 'number' && item.leaseUntil >= now.getTime()
        ? [{ slot, owner: String(item.owner), until: new Date(item.leaseUntil).toISOString() }]
        : [],
    );
  }

  /** One conditional update; a lost condition answers the record as it is (null: none). */
  private async change(certificateId: string, revision: number, change: Change): Promise<Rollout | null> {
    const result = await this.attempt(certificateId, revision, change);
    return result === 'refused' ? this.get(certificateId, revision) : result;
  }

  /** One conditional update: the record after it, or `refused` when its condition did not hold. */
  private async attempt(
    certificateId: string,
    revision: number,
    change: Change,
  ): Promise<Rollout | 'refused'> {
    const usesState = `${change.update} ${change.condition}`.includes('#state');
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: rolloutKey(certificateId, revision),
          UpdateExpression: change.update,
          ConditionExpression: change.condition,
          ...(usesState ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
          ExpressionAttributeValues: change.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes)
        throw new Error(`rollout of ${certificateId} revision ${revision}: no record returned`);
      return toRollout(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'refused';
      throw error;
    }
  }
}

function iso(date: Date): string {
  return date.toISOString();
}

/** The item of a new record: node lists as string sets, empty and null fields left out. */
function toItem(record: Rollout): Record<string, unknown> {
  const { joined, done, failed, nodes, pausedBy, pausedAt, completedAt, ...rest } = record;
  return {
    ...rest,
    ...(nodes === null ? {} : { nodes: [...nodes] }),
    ...Object.fromEntries(
      Object.entries({ joined, done, failed })
        .filter(([, list]) => list.length > 0)
        .map(([name, list]) => [name, new Set(list)]),
    ),
    ...Object.fromEntries(
      Object.entries({ pausedBy, pausedAt, completedAt }).filter(([, value]) => value !== null),
    ),
  };
}

function toRollout(item: Record<string, unknown>): Rollout {
  const { pk: _pk, sk: _sk, joined, done, failed, nodes, pausedBy, pausedAt, completedAt, ...rest } = item;
  const list = (value: unknown): string[] =>
    value instanceof Set || Array.isArray(value) ? [...(value as Iterable<string>)].sort() : [];
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    ...(rest as unknown as Rollout),
    nodes: Array.isArray(nodes) ? (nodes as string[]) : null,
    joined: list(joined),
    done: list(done),
    failed: list(failed),
    pausedBy: text(pausedBy),
    pausedAt: text(pausedAt),
    completedAt: text(completedAt),
  };
}
