/**
 * Retirement in the control plane (core/renewal/retire-certificates.ts): the catalog against the
 * configuration, on the in-memory store (the DynamoDB one passes the same contract).
 */
import { describe, expect, it, vi } from 'vitest';
import { InMemoryStateStore } from '../../../adapters/memory/in-memory-state-store.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { catalogChange, reconcileCatalog } from '../../../core/renewal/retire-certificates.ts';

const T0 = new Date('2031-01-05T00:00:00.000Z');
const T1 = new Date('2031-02-05T00:00:00.000Z');

function deps(state = new InMemoryStateStore(), now = T0) {
  return { state, clock: { now: () => now }, log: silentLogger };
}

describe('catalogChange', () => {
  it('retires what left the configuration, restores what came back, adds what is new', () => {
    const change = catalogChange(
      { certificates: { api: null, old: '2030-12-01T00:00:00.000Z', web: null }, version: 3 },
      ['web', 'old', 'shop'],
      T0,
    );
    expect(change).toEqual({
      retired: ['api'],
      restored: ['old'],
      added: ['shop'],
      certificates: { api: T0.toISOString(), old: null, shop: null, web: null },
    });
  });

  it('keeps the moment a certificate was retired, run after run', () => {
    const change = catalogChange({ certificates: { api: '2030-12-01T00:00:00.000Z' }, version: 1 }, [], T0);
    expect(change.retired).toEqual([]);
    expect(change.certificates).toEqual({ api: '2030-12-01T00:00:00.000Z' });
  });
});

describe('reconcileCatalog', () => {
  it('marks a certificate that left the configuration retired on its state, once', async () => {
    const d = deps();
    await reconcileCatalog(['web', 'api'], d);
    const change = await reconcileCatalog(['web'], d);
    expect(change.retired).toEqual(['api']);
    expect((await d.state.get('api')).retiredAt).toBe(T0.toISOString());
    expect((await d.state.get('web')).retiredAt).toBeNull();

    const marks = vi.spyOn(d.state, 'recordRetirement');
    const saves = vi.spyOn(d.state, 'saveCatalog');
    expect((await reconcileCatalog(['web'], d)).retired).toEqual([]);
    // Nothing changed: one read, no write.
    expect(marks).not.toHaveBeenCalled();
    expect(saves).not.toHaveBeenCalled();
  });

  it('puts a certificate back in service when the configuration names it again', async () => {
    const d = deps();
    await reconcileCatalog(['web', 'api'], d);
    await reconcileCatalog(['web'], d);
    const change = await reconcileCatalog(['web', 'api'], deps(d.state, T1));
    expect(change.restored).toEqual(['api']);
    expect((await d.state.get('api')).retiredAt).toBeNull();
    expect((await d.state.catalog()).certificates).toEqual({ api: null, web: null });
  });

  it('builds the first catalog from the certificates the store already holds, so none is lost', async () => {
    const state = new InMemoryStateStore();
    await state.recordWindow('legacy', null);
    const change = await reconcileCatalog(['web'], deps(state));
    expect(change).toMatchObject({ retired: ['legacy'], added: ['web'] });
    expect((await state.get('legacy')).retiredAt).toBe(T0.toISOString());
    expect((await state.catalog()).version).toBe(1);
  });

  it('leaves the catalog of a run that saved meanwhile as it is', async () => {
    const state = new InMemoryStateStore();
    const d = deps(state);
    await reconcileCatalog(['web'], d);
    const stale = await state.catalog();
    await reconcileCatalog(['web', 'api'], d);
    // A run that read the catalog before the other one saved cannot overwrite it.
    expect(await state.saveCatalog({ web: null }, stale)).toBe(false);
    expect((await state.catalog()).certificates).toEqual({ api: null, web: null });
  });
});
