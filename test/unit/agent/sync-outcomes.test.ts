import { describe, expect, it } from 'vitest';
import { type SyncOutcome, type SyncResult, withOutcome } from '../../../core/agent/sync/outcome.ts';

function anOutcome(result: SyncResult, revision: number | null, certificateId = 'web'): SyncOutcome {
  return {
    certificateId,
    result,
    revision,
    installedRevision: revision,
    notAfter: null,
    errorCode: null,
    message: null,
    durationMs: 1,
  };
}

const merged = (...outcomes: SyncOutcome[]) =>
  outcomes
    .reduce<SyncOutcome[]>((all, o) => withOutcome(all, o), [])
    .map((o) => `${o.certificateId} ${o.result} ${o.revision}`);

describe('withOutcome: one outcome per certificate revision in a run', () => {
  it('keeps what was done when a later sync of the same revision only finds it done', () => {
    expect(merged(anOutcome('applied', 1), anOutcome('up-to-date', 1))).toEqual(['web applied 1']);
    expect(merged(anOutcome('rejected', 2), anOutcome('up-to-date', 2))).toEqual(['web rejected 2']);
    expect(merged(anOutcome('unchanged', 2), anOutcome('obsolete', 2))).toEqual(['web unchanged 2']);
  });

  it('takes where the node ended up when the later sync did something, in the earlier one’s place', () => {
    expect(
      merged(anOutcome('interrupted', 1), anOutcome('applied', 4, 'api'), anOutcome('applied', 1)),
    ).toEqual(['web applied 1', 'api applied 4']);
    expect(merged(anOutcome('failed', 1), anOutcome('applied', 1))).toEqual(['web applied 1']);
    expect(merged(anOutcome('rejected', 1), anOutcome('rejected', 1))).toEqual(['web rejected 1']);
    expect(merged(anOutcome('up-to-date', 1), anOutcome('up-to-date', 1))).toEqual(['web up-to-date 1']);
  });

  it('keeps different revisions and certificates apart', () => {
    expect(merged(anOutcome('applied', 1), anOutcome('applied', 2), anOutcome('applied', 1, 'api'))).toEqual([
      'web applied 1',
      'web applied 2',
      'api applied 1',
    ]);
  });

  it('returns a new list', () => {
    const before = [anOutcome('applied', 1)];
    withOutcome(before, anOutcome('applied', 1));
    withOutcome(before, anOutcome('applied', 2));
    expect(before).toHaveLength(1);
  });
});
