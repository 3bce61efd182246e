/**
 * The fleet judgement (core/agent/fleet-status.ts) that `acme-ha status` prints and fleet-watch
 * turns into metrics: silent and never-seen nodes, lag and its grace, failures, days left and
 * expiry, declared versus reported nodes; and the datapoints that go to CloudWatch.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryNodeStatusStore } from '../../../adapters/memory/in-memory-node-status-store.ts';
import { InMemoryStateStore } from '../../../adapters/memory/in-memory-state-store.ts';
import {
  type FleetCertificate,
  type FleetInputs,
  fleetCertificate,
  revisionsToLookUp,
} from '../../../core/agent/fleet-status.ts';
import { configSchema } from '../../../core/config/certificate-config.ts';
import { fleetDatapoints } from '../../../core/fleet/fleet-datapoints.ts';
import {
  DEFAULT_SILENT_AFTER_MINUTES,
  fleetThresholds,
  profileOf,
  profileOfLifetime,
} from '../../../core/fleet/fleet-thresholds.ts';
import { readFleet, watchedCertificates } from '../../../core/fleet/read-fleet.ts';
import { certificateHolders } from '../../../core/fleet-audience.ts';
import { FLEET_METRICS } from '../../../core/metrics.ts';
import type { Rollout } from '../../../core/ports/rollout-store.ts';
import { aNodeStatus, aRevision, days, minutes, writeFleet } from '../../support/fleet-reports.ts';

// The builders' reports default to the real "just now".
const NOW = new Date();
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const THRESHOLDS = fleetThresholds('classic');

function judge(inputs: Partial<FleetInputs>, now = NOW): FleetCertificate {
  return fleetCertificate(
    {
      certificateId: 'web',
      current: null,
      retiredAt: null,
      rollout: null,
      statuses: [],
      holders: null,
      notAfter: new Map(),
      heartbeats: new Map(),
      ...inputs,
    },
    { now, thresholds: THRESHOLDS },
  );
}

describe('the silence rule', () => {
  it('has a default of two agent reconcile intervals (15 min) plus 5 minutes', () => {
    expect(DEFAULT_SILENT_AFTER_MINUTES).toBe(35);
    expect(THRESHOLDS).toEqual({ silentAfterMinutes: 35, lagGraceMinutes: 120, expiryDays: 14 });
  });

  it('calls a node silent when its last report is older than the threshold, and says when that was', () => {
    const fleet = judge({
      current: aRevision({ revision: 2, createdAt: ago(days(3)) }),
      statuses: [
        aNodeStatus({ nodeId: 'web-1', revisionOnDisk: 2, updatedAt: ago(minutes(34)) }),
        aNodeStatus({ nodeId: 'web-2', revisionOnDisk: 2, updatedAt: ago(minutes(36)) }),
      ],
    });
    expect(fleet.nodes.map((n) => [n.nodeId, n.silent, n.updatedAt, n.problems])).toEqual([
      ['web-1', false, ago(minutes(34)), []],
      ['web-2', true, ago(minutes(36)), ['silent']],
    ]);
    expect(fleet.counts.silent).toBe(1);
    expect(fleet.healthy).toBe(false);
  });

  it('sees a node by its heartbeat too: an old report of a node that beats is no silence', () => {
    const fleet = judge({
      current: aRevision({ revision: 2, createdAt: ago(days(3)) }),
      statuses: [
        aNodeStatus({ nodeId: 'web-1', revisionOnDisk: 2, updatedAt: ago(days(2)) }),
        aNodeStatus({ nodeId: 'web-2', revisionOnDisk: 2, updatedAt: ago(minutes(50)) }),
        aNodeStatus({ nodeId: 'web-3', revisionOnDisk: 2, updatedAt: ago(minutes(5)) }),
      ],
      // web-2's heartbeat is older than its report; web-3 has none (an agent before 0.4).
      heartbeats: new Map([
        ['web-1', ago(minutes(3))],
        ['web-2', ago(minutes(40))],
      ]),
    });
    expect(fleet.nodes.map((n) => [n.nodeId, n.silent, n.updatedAt, n.lastSeenAt])).toEqual([
      ['web-1', false, ago(days(2)), ago(minutes(3))],
      ['web-2', true, ago(minutes(50)), ago(minutes(40))],
      ['web-3', false, ago(minutes(5)), ago(minutes(5))],
    ]);
  });

  it('lists a declared node that never reported as never seen, silent once there was a revision to report', () => {
    const holders = ['tomcat-1', 'web-1'];
    const reported = [aNodeStatus({ nodeId: 'web-1', revisionOnDisk: 2, updatedAt: ago(minutes(1)) })];
    const fleet = judge({ current: aRevision({ revision: 2 }), statuses: reported, holders });
    expect(fleet.neverSeen).toEqual([
      { nodeId: 'tomcat-1', kind: 'node', seen: false, silent: true, problems: ['silent'] },
    ]);
    expect(fleet.counts).toMatchObject({ nodes: 1, neverSeen: 1, silent: 1, current: 1 });
    expect(fleet.healthy).toBe(false);

    // Nothing published yet: nobody has anything to install or report.
    expect(judge({ holders }).neverSeen).toEqual([
      { nodeId: 'tomcat-1', kind: 'node', seen: false, silent: false, problems: [] },
      { nodeId: 'web-1', kind: 'node', seen: false, silent: false, problems: [] },
    ]);
    // The first revision, published 10 minutes ago: its rollout may still be on its way.
    const first = aRevision({ revision: 1, createdAt: ago(minutes(10)) });
    expect(judge({ current: first, holders }).neverSeen.map((n) => n.silent)).toEqual([false, false]);
    const firstLongAgo = aRevision({ revision: 1, createdAt: ago(minutes(36)) });
    expect(judge({ current: firstLongAgo, holders }).neverSeen.map((n) => n.silent)).toEqual([true, true]);
  });
});

describe('lag', () => {
  it('counts revisions behind the current one, and is a problem only after the grace', () => {
    const statuses = [
      aNodeStatus({ nodeId: 'a', revisionOnDisk: 3 }),
      aNodeStatus({ nodeId: 'b', revisionOnDisk: 1 }),
      aNodeStatus({ nodeId: 'c', revisionOnDisk: null, result: 'failed', failingSince: ago(minutes(5)) }),
    ];
    const recent = judge({ current: aRevision({ revision: 3, createdAt: ago(minutes(119)) }), statuses });
    expect(recent.nodes.map((n) => [n.nodeId, n.revisionLag, n.lagging, n.lagBeyondGrace])).toEqual([
      ['a', 0, false, false],
      ['b', 2, true, false],
      ['c', 3, true, false],
    ]);
    expect(recent.counts).toMatchObject({ current: 1, lagging: 2, lagBeyondGrace: 0, failed: 1 });

    const late = judge({ current: aRevision({ revision: 3, createdAt: ago(minutes(121)) }), statuses });
    expect(late.nodes.map((n) => n.problems)).toEqual([[], ['lagging'], ['failed', 'lagging']]);
  });

  it('is unknown before anything is published', () => {
    const fleet = judge({ statuses: [aNodeStatus({ nodeId: 'a', revisionOnDisk: null })] });
    expect(fleet.nodes[0]).toMatchObject({ revisionLag: null, lagging: false, daysLeft: null });
    expect(fleet.healthy).toBe(true);
  });
});

describe('failures', () => {
  it('are failed, rolled-back and rejected; halted and reloading are not', () => {
    const results = [
      'applied',
      'unchanged',
      'rejected',
      'rolled-back',
      'halted',
      'reloading',
      'failed',
    ] as const;
    const fleet = judge({
      current: aRevision({ revision: 1, createdAt: ago(minutes(1)) }),
      statuses: results.map((result, i) => aNodeStatus({ nodeId: `n${i}`, result })),
    });
    expect(fleet.nodes.map((n) => [n.result, n.failed])).toEqual(
      results.map((r) => [r, ['rejected', 'rolled-back', 'failed'].includes(r)]),
    );
  });
});

describe('days left and expiry', () => {
  it('come from the served revision, else the one on disk, and are a problem under the threshold', () => {
    const current = aRevision({ revision: 3, notAfter: new Date(NOW.getTime() + days(60)).toISOString() });
    const fleet = judge({
      current,
      statuses: [
        aNodeStatus({ nodeId: 'current', revisionOnDisk: 3 }),
        aNodeStatus({ nodeId: 'old', revisionOnDisk: 2, revisionServed: 2 }),
        aNodeStatus({ nodeId: 'unprobed', revisionOnDisk: 2, revisionServed: null }),
        aNodeStatus({ nodeId: 'unknown', revisionOnDisk: 1, revisionServed: 1 }),
      ],
      notAfter: new Map([[2, new Date(NOW.getTime() + days(13.5)).toISOString()]]),
    });
    expect(fleet.nodes.map((n) => [n.nodeId, n.daysLeft, n.expiring])).toEqual([
      ['current', 60, false],
      ['old', 13.5, true],
      ['unknown', null, false],
      ['unprobed', 13.5, true],
    ]);
    expect(fleet.counts.expiring).toBe(2);
  });

  it('thresholds follow the profile (classic 14, tlsserver 7, shortlived 1), or the lifetime without a configuration', () => {
    expect(
      ['classic', 'tlsserver', 'shortlived'].map((p) => fleetThresholds(p as 'classic').expiryDays),
    ).toEqual([14, 7, 1]);
    expect(fleetThresholds('tlsserver', { expiryDays: 3, silentAfterMinutes: 60 })).toEqual({
      silentAfterMinutes: 60,
      lagGraceMinutes: 120,
      expiryDays: 3,
    });
    const lifetime = (d: number) =>
      profileOfLifetime(ago(0), new Date(NOW.getTime() + days(d)).toISOString());
    expect([lifetime(90), lifetime(45), lifetime(160 / 24)]).toEqual(['classic', 'tlsserver', 'shortlived']);
  });

  it('needs the notAfter of exactly the older revisions nodes serve or hold', () => {
    const statuses = [
      aNodeStatus({ nodeId: 'a', revisionOnDisk: 3 }),
      aNodeStatus({ nodeId: 'b', revisionOnDisk: 2, revisionServed: 1 }),
      aNodeStatus({ nodeId: 'c', revisionOnDisk: 2, revisionServed: null }),
      aNodeStatus({ nodeId: 'd', revisionOnDisk: null, revisionServed: null }),
    ];
    expect(revisionsToLookUp(aRevision({ revision: 3 }), statuses)).toEqual([1, 2]);
  });
});

describe('who is listed', () => {
  const config = configSchema.parse({
    version: 1,
    defaults: { profile: 'tlsserver' },
    certificates: [
      {
        id: 'files',
        domains: ['files.acme-ha.test'],
        groups: ['mft'],
        dmz: ['dmz-1'],
        keystores: [{ format: 'pem' }],
      },
      {
        id: 'web',
        domains: ['www.acme-ha.test'],
        groups: ['web'],
        profile: 'shortlived',
        keystores: [{ format: 'pem' }],
      },
    ],
    nodes: [
      { id: 'mft-1', groups: ['mft'] },
      { id: 'tomcat-1', groups: ['mft', 'web'] },
      { id: 'web-1', groups: ['web'] },
    ],
    dmz: [{ id: 'dmz-1', url: 'https://dmz-1.acme-ha.test:8443', pushedBy: ['mft-1'] }],
  });

  it('the configuration names the nodes of a certificate’s groups and its DMZ instances', () => {
    expect(certificateHolders(config, 'files')).toEqual(['mft-1', 'tomcat-1', 'dmz:dmz-1']);
    expect(certificateHolders(config, 'web')).toEqual(['tomcat-1', 'web-1']);
    expect(certificateHolders(config, 'other')).toBeNull();
    expect(certificateHolders({ ...config, nodes: [], dmz: [] }, 'web')).toBeNull();
    expect(config.certificates.map((c) => profileOf(config, c))).toEqual(['tlsserver', 'shortlived']);
  });

  it('lists declared nodes and DMZ instances, and nodes that reported without being declared', () => {
    const fleet = judge({
      current: aRevision({ certificateId: 'files', revision: 1, createdAt: ago(minutes(1)) }),
      holders: certificateHolders(config, 'files'),
      statuses: [
        aNodeStatus({ certificateId: 'files', nodeId: 'dmz:dmz-1' }),
        aNodeStatus({ certificateId: 'files', nodeId: 'mft-1' }),
        aNodeStatus({ certificateId: 'files', nodeId: 'mft-9' }),
      ],
    });
    expect(fleet.audienceKnown).toBe(true);
    expect(fleet.nodes.map((n) => [n.nodeId, n.kind, n.declared])).toEqual([
      ['dmz:dmz-1', 'dmz', true],
      ['mft-1', 'node', true],
      ['mft-9', 'node', false],
    ]);
    expect(fleet.neverSeen.map((n) => [n.nodeId, n.silent])).toEqual([['tomcat-1', false]]);
  });

  it('a node taken out of the configuration that stopped reporting is listed, but retired rather than a problem', () => {
    const statuses = [aNodeStatus({ nodeId: 'old-1', updatedAt: ago(days(5)) })];
    const configured = judge({ current: aRevision(), statuses, holders: [] });
    expect(configured.nodes[0]).toMatchObject({
      nodeId: 'old-1',
      declared: false,
      silent: true,
      problems: [],
    });
    expect(configured.healthy).toBe(true);
    expect(fleetDatapoints(configured)[0]?.values).toMatchObject({ [FLEET_METRICS.nodeSilent.name]: 0 });
    // Without a configuration nobody is known to be retired.
    const unknown = judge({ current: aRevision(), statuses });
    expect(unknown.nodes[0]).toMatchObject({ silent: true, problems: ['silent'] });
  });

  it('without a configuration, lists only who reported, as before', () => {
    const fleet = judge({ current: aRevision(), statuses: [aNodeStatus({ nodeId: 'web-1' })] });
    expect(fleet.audienceKnown).toBe(false);
    expect(fleet.neverSeen).toEqual([]);
    expect(fleet.nodes.map((n) => [n.nodeId, n.declared])).toEqual([['web-1', false]]);
    expect(fleet.counts).toEqual({
      nodes: 1,
      current: 1,
      lagging: 0,
      failed: 0,
      silent: 0,
      neverSeen: 0,
      lagBeyondGrace: 0,
      expiring: 0,
      holdingRetired: 0,
    });
  });

  it('keeps the rollout of the current revision', () => {
    const rollout: Rollout = {
      certificateId: 'web',
      revision: 1,
      canary: 'web-1',
      state: 'halted',
      maxParallel: 1,
      canaryDeadline: ago(0),
      haltedBy: 'web-1',
      reason: 'probe failed',
      startedAt: ago(0),
      updatedAt: ago(0),
    } as Rollout;
    expect(judge({ current: aRevision(), rollout }).rollout).toEqual({
      revision: 1,
      state: 'halted',
      canary: 'web-1',
      haltedBy: 'web-1',
      reason: 'probe failed',
    });
  });
});

describe('fleet datapoints', () => {
  it('carry the known values of each node; a node that never reported has only node_silent', () => {
    const current = aRevision({
      revision: 4,
      createdAt: ago(days(1)),
      notAfter: new Date(NOW.getTime() + days(80)).toISOString(),
    });
    const fleet = judge({
      current,
      holders: ['current', 'ghost', 'lagging', 'failed', 'silent'],
      statuses: [
        aNodeStatus({ nodeId: 'current', revisionOnDisk: 4 }),
        aNodeStatus({ nodeId: 'lagging', revisionOnDisk: 2, revisionServed: 2 }),
        aNodeStatus({ nodeId: 'failed', revisionOnDisk: 3, revisionServed: 3, result: 'rolled-back' }),
        aNodeStatus({ nodeId: 'silent', revisionOnDisk: 4, updatedAt: ago(minutes(90)) }),
      ],
      notAfter: new Map([
        [2, new Date(NOW.getTime() + days(20)).toISOString()],
        [3, new Date(NOW.getTime() + days(50)).toISOString()],
      ]),
    });
    const { daysRemaining, revisionLag, nodeFailed, nodeSilent } = FLEET_METRICS;
    expect(Object.fromEntries(fleetDatapoints(fleet).map((d) => [d.nodeId, d.values]))).toEqual({
      current: {
        [daysRemaining.name]: 80,
        [revisionLag.name]: 0,
        [nodeFailed.name]: 0,
        [nodeSilent.name]: 0,
      },
      failed: { [daysRemaining.name]: 50, [revisionLag.name]: 1, [nodeFailed.name]: 1, [nodeSilent.name]: 0 },
      ghost: { [nodeSilent.name]: 1 },
      lagging: {
        [daysRemaining.name]: 20,
        [revisionLag.name]: 2,
        [nodeFailed.name]: 0,
        [nodeSilent.name]: 0,
      },
      silent: { [daysRemaining.name]: 80, [revisionLag.name]: 0, [nodeFailed.name]: 0, [nodeSilent.name]: 1 },
    });
    expect(fleetDatapoints(fleet).find((d) => d.nodeId === 'ghost')?.context).toEqual({
      kind: 'node',
      result: 'never-seen',
      lastSeenAt: 'never',
      problems: 'silent',
    });
  });
});

describe('readFleet', () => {
  it('reads state, reports and the older revisions nodes serve, and judges them', async () => {
    const stores = {
      state: new InMemoryStateStore(),
      rollouts: { get: async () => null },
      nodes: new InMemoryNodeStatusStore(),
    };
    const r1 = aRevision({ revision: 1, createdAt: ago(days(70)) });
    const r2 = aRevision({ revision: 2, createdAt: ago(days(10)) });
    await writeFleet(stores, {
      revisions: [r1, r2],
      statuses: [
        aNodeStatus({ nodeId: 'web-1', revisionOnDisk: 2, updatedAt: ago(minutes(2)) }),
        aNodeStatus({ nodeId: 'web-2', revisionOnDisk: 1, updatedAt: ago(days(9)) }),
      ],
    });
    const fleet = await readFleet(stores, {
      certificateId: 'web',
      holders: ['tomcat-1', 'web-1', 'web-2'],
      thresholds: THRESHOLDS,
      now: NOW,
    });
    expect(fleet.currentRevision).toBe(2);
    expect(fleet.nodes.map((n) => [n.nodeId, n.daysLeft, n.revisionLag, n.problems])).toEqual([
      ['web-1', 80, 0, []],
      ['web-2', 20, 1, ['lagging', 'silent']],
    ]);
    expect(fleet.neverSeen.map((n) => [n.nodeId, n.silent])).toEqual([['tomcat-1', true]]);
    expect(fleet.healthy).toBe(false);
  });
});

describe('a retired certificate', () => {
  const retiredFleet = () =>
    judge({
      retiredAt: ago(days(2)),
      current: aRevision({ revision: 3, notAfter: new Date(NOW.getTime() + days(10)).toISOString() }),
      holders: ['purged', 'kept', 'failing', 'quiet', 'never'],
      statuses: [
        aNodeStatus({ nodeId: 'purged', result: 'retired', revisionOnDisk: null, revisionServed: null }),
        aNodeStatus({ nodeId: 'kept', result: 'retired', revisionOnDisk: 3 }),
        aNodeStatus({ nodeId: 'failing', result: 'failed', revisionOnDisk: 2, revisionServed: null }),
        aNodeStatus({ nodeId: 'quiet', result: 'retired', revisionOnDisk: null, updatedAt: ago(days(3)) }),
      ],
    });

  it('expects nothing of its nodes: none lags, fails, goes silent or is awaited', () => {
    const fleet = retiredFleet();
    expect(fleet.retiredAt).toBe(ago(days(2)));
    expect(fleet.neverSeen).toEqual([]);
    expect(fleet.nodes.map((n) => [n.nodeId, n.lagging, n.failed, n.problems])).toEqual([
      ['failing', false, false, []],
      // Still serving it from its disk, 10 days before it expires: that stays a problem.
      ['kept', false, false, ['expiring']],
      ['purged', false, false, []],
      ['quiet', false, false, []],
    ]);
    expect(fleet.counts).toMatchObject({ holdingRetired: 2, lagging: 0, failed: 0, silent: 0, expiring: 1 });
    expect(fleet.healthy).toBe(false);
  });

  it('gives each node only its days left and whether it still has the files', () => {
    expect(Object.fromEntries(fleetDatapoints(retiredFleet()).map((d) => [d.nodeId, d.values]))).toEqual({
      failing: { retired_on_disk: 1 },
      kept: { served_days_remaining: 10, retired_on_disk: 1 },
      purged: { retired_on_disk: 0 },
      quiet: { retired_on_disk: 0 },
    });
  });

  it('is read with its retirement mark, and listed beside the configured ones from the catalog', async () => {
    const stores = {
      state: new InMemoryStateStore(),
      rollouts: { get: async () => null },
      nodes: new InMemoryNodeStatusStore(),
    };
    await writeFleet(stores, { revisions: [aRevision({ revision: 1 })], statuses: [] });
    await stores.state.recordRetirement('web', ago(days(1)));
    await stores.state.saveCatalog({ api: null, web: ago(days(1)) }, { version: 0 });
    expect(await watchedCertificates(stores, ['api'])).toEqual(['api', 'web']);
    const fleet = await readFleet(stores, {
      certificateId: 'web',
      holders: null,
      thresholds: THRESHOLDS,
      now: NOW,
    });
    expect(fleet.retiredAt).toBe(ago(days(1)));
  });
});
