import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { RevisionConflictError } from '../../core/errors.ts';
import type { CertificateStateStore } from '../../core/ports/certificate-state-store.ts';
import type { RolloutTerms } from '../../core/ports/rollout-store.ts';
import type {
  CertificateCatalog,
  CertificateState,
  FailureState,
  RenewalWindow,
  Revision,
  Revocation,
} from '../../core/renewal/types.ts';
import {
  CATALOG_KEY,
  CERTIFICATE_PK_PREFIX,
  CERTIFICATE_STATE_SK,
  certificateStateKey,
  HEAD_KEY,
  HEAD_REVISION_PREFIX,
  revisionKey,
} from '../../core/table-keys.ts';

/**
 * Certificate state and revision records in DynamoDB. `publish` moves the state item's pointer
 * (condition: still at the previous revision): that one conditional write is both the fence and the
 * commit, so a refused publish writes nothing. The immutable revision item follows. Should the run
 * die between the two writes, `getRevision` answers the current revision from the state item, and
 * the next publish writes the item of the revision it replaces. No transaction needed.
 *
 * The rollout terms published with a revision are the attribute `rollout` of the state item (set in
 * the same conditional write as the pointer, so no node can see the revision without its terms) and
 * of the revision item, beside the `revision` map, never inside it.
 *
 * (The revision item used to be written first, `attribute_not_exists`. A refused publish then left
 * it behind: `getRevision` answered a revision that was never published, and every later publish of
 * that number failed with RevisionConflictError, a run that died between the writes wedging the
 * certificate for good. Found by test/contract/certificate-state-store.contract.ts.)
 */
export class DynamoStateStore implements CertificateStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(certificateId: string): Promise<CertificateState> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: certificateStateKey(certificateId),
        ConsistentRead: true,
      }),
    );
    return {
      certificateId,
      current: (Item?.current as Revision | undefined) ?? null,
      window: (Item?.window as RenewalWindow | undefined) ?? null,
      failure: (Item?.failure as FailureState | undefined) ?? null,
      revocation: (Item?.revocation as Revocation | undefined) ?? null,
      retiredAt: (Item?.retiredAt as string | undefined) ?? null,
      // Kept beside the pointer: a node joining the current revision's rollout needs no second read.
      currentTerms: termsOf(Item?.rollout),
    };
  }

  async publish(revision: Revision, rollout?: RolloutTerms): Promise<void> {
    const id = revision.certificateId;
    let replaced: { revision: Revision; rollout: RolloutTerms | null } | undefined;
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: certificateStateKey(id),
          UpdateExpression: rollout
            ? 'SET #current = :current, currentRevision = :revision, #rollout = :rollout REMOVE failure'
            : 'SET #current = :current, currentRevision = :revision REMOVE failure, #rollout',
          ConditionExpression:
            revision.revision === 1 ? 'attribute_not_exists(currentRevision)' : 'currentRevision = :previous',
          ExpressionAttributeNames: { '#current': 'current', '#rollout': 'rollout' },
          ExpressionAttributeValues: {
            ':current': toItem(revision),
            ':revision': revision.revision,
            ...(rollout ? { ':rollout': toItem(rollout) } : {}),
            ...(revision.revision === 1 ? {} : { ':previous': revision.revision - 1 }),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const current = Attributes?.current as Revision | undefined;
      if (current) replaced = { revision: current, rollout: termsOf(Attributes?.rollout) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new RevisionConflictError(id, revision.revision);
      throw error;
    }
    // Published. The items are copies of what the state item held: one that cannot be written now
    // is answered from the state item while current, and written by the next publish. So a failure
    // here must not turn a published revision into a failed renewal.
    await Promise.allSettled([
      this.putRevision(revision, rollout ?? null),
      ...(replaced ? [this.putRevision(replaced.revision, replaced.rollout)] : []),
    ]);
  }

  async getRevision(certificateId: string, revision: number): Promise<Revision | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: revisionKey(certificateId, revision),
        ConsistentRead: true,
      }),
    );
    const stored = Item?.revision as Revision | undefined;
    if (stored) return stored;
    // Published, and its item not written (yet): the state item holds the current revision.
    const { current } = await this.get(certificateId);
    return current?.revision === revision ? current : null;
  }

  async rolloutTerms(certificateId: string, revision: number): Promise<RolloutTerms | null> {
    // Nodes ask for the current revision's terms: the state item holds them with the pointer.
    const { Item: state } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: certificateStateKey(certificateId),
        ProjectionExpression: 'currentRevision, #rollout',
        ExpressionAttributeNames: { '#rollout': 'rollout' },
        ConsistentRead: true,
      }),
    );
    if (state?.currentRevision === revision) return termsOf(state.rollout);
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: revisionKey(certificateId, revision),
        ProjectionExpression: '#rollout',
        ExpressionAttributeNames: { '#rollout': 'rollout' },
        ConsistentRead: true,
      }),
    );
    return termsOf(Item?.rollout);
  }

  /** Writes a revision item once; an item already there is the same revision, immutable. */
  private async putRevision(revision: Revision, rollout: RolloutTerms | null): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...revisionKey(revision.certificateId, revision.revision),
            revision: toItem(revision),
            ...(rollout ? { rollout: toItem(rollout) } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordFailure(certificateId: string, failure: FailureState): Promise<void> {
    await this.set(certificateId, 'failure', failure);
  }

  async recordWindow(certificateId: string, window: RenewalWindow | null): Promise<void> {
    await this.set(certificateId, 'window', window);
  }

  async recordRevocation(certificateId: string, revocation: Revocation): Promise<void> {
    await this.set(certificateId, 'revocation', revocation);
  }

  async recordRetirement(certificateId: string, at: string | null): Promise<void> {
    await this.set(certificateId, 'retiredAt', at);
    if (at !== null)
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: HEAD_KEY,
          UpdateExpression: 'REMOVE #r',
          ExpressionAttributeNames: { '#r': `${HEAD_REVISION_PREFIX}${certificateId}` },
        }),
      );
  }

  async head(): Promise<ReadonlyMap<string, number>> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: HEAD_KEY, ConsistentRead: true }),
    );
    return new Map(
      Object.entries(Item ?? {}).flatMap(([name, value]) =>
        name.startsWith(HEAD_REVISION_PREFIX) && typeof value === 'number'
          ? [[name.slice(HEAD_REVISION_PREFIX.length), value] as const]
          : [],
      ),
    );
  }

  async advanceHead(certificateId: string, revision: number): Promise<void> {
    try {
      // A top-level attribute per certificate: one UpdateItem, no map to create first; the
      // condition keeps a late writer of an older revision from moving it back.
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: HEAD_KEY,
          UpdateExpression: 'SET #r = :n',
          ConditionExpression: 'attribute_not_exists(#r) OR #r < :n',
          ExpressionAttributeNames: { '#r': `${HEAD_REVISION_PREFIX}${certificateId}` },
          ExpressionAttributeValues: { ':n': revision },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async catalog(): Promise<CertificateCatalog> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: CATALOG_KEY, ConsistentRead: true }),
    );
    return {
      certificates: (Item?.certificates as CertificateCatalog['certificates'] | undefined) ?? {},
      version: Item ? Number(Item.version) : 0,
    };
  }

  async knownCertificates(): Promise<CertificateCatalog['certificates']> {
    const certificates: Record<string, string | null> = {};
    const pages = paginateScan(
      { client: this.db },
      {
        TableName: this.table,
        FilterExpression: 'sk = :state',
        ExpressionAttributeValues: { ':state': CERTIFICATE_STATE_SK },
        ProjectionExpression: 'pk, retiredAt',
        ConsistentRead: true,
      },
    );
    for await (const page of pages)
      for (const item of page.Items ?? [])
        certificates[String(item.pk).slice(CERTIFICATE_PK_PREFIX.length)] =
          (item.retiredAt as string | undefined) ?? null;
    return certificates;
  }

  async saveCatalog(
    certificates: CertificateCatalog['certificates'],
    expected: Pick<CertificateCatalog, 'version'>,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...CATALOG_KEY, certificates, version: expected.version + 1 },
          ConditionExpression: expected.version === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ...(expected.version === 0 ? {} : { ExpressionAttributeValues: { ':expected': expected.version } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async set(certificateId: string, attribute: string, value: unknown): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: certificateStateKey(certificateId),
        UpdateExpression: value === null ? 'REMOVE #a' : 'SET #a = :v',
        ExpressionAttributeNames: { '#a': attribute },
        ...(value === null ? {} : { ExpressionAttributeValues: { ':v': toItem(value) } }),
      }),
    );
  }
}

/** Rollout terms as stored (a map with a number and a list or null); null when absent. */
function termsOf(value: unknown): RolloutTerms | null {
  if (value === null || typeof value !== 'object') return null;
  const { maxParallel, nodes } = value as { maxParallel?: unknown; nodes?: unknown };
  if (typeof maxParallel !== 'number') return null;
  return { maxParallel, nodes: Array.isArray(nodes) ? nodes.map(String) : null };
}

/** Plain JSON data (undefined fields dropped), as DynamoDB maps store it. */
function toItem<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
