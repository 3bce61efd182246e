/**
 * The fleet-watch Lambda as it ships (dist/functions/fleet-watch/index.mjs), run in a plain Node
 * child against the embedded stack's DynamoDB, with the environment and configuration file the CDK
 * stack gives it. Its EMF lines on stdout are what CloudWatch would turn into the metrics the
 * alarms watch: names, dimensions and values are read back from them, for a current, a lagging, a
 * failed, a silent and a never-seen node, a DMZ instance, and a certificate with nothing published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoNodeStatusStore } from '../../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import { FLEET_WATCH_CONFIG_FILE } from '../../../cdk/fleet-watch.ts';
import { FLEET_DIMENSION_SETS, FLEET_METRICS, METRICS_NAMESPACE } from '../../../core/metrics.ts';
import type { Revision } from '../../../core/renewal/types.ts';
import type { FleetWatchResult } from '../../../functions/fleet-watch.ts';
import { aNodeStatus, aRevision, days, minutes, writeFleet } from '../../support/fleet-reports.ts';
import {
  type EmfRecord,
  emittedMetrics,
  type FunctionRun,
  runFunctionBundle,
} from '../../support/function-runs.ts';
import { useLocalStack } from '../../support/local-stack.ts';

const stack = useLocalStack({ prefix: 'fleetwatch', pebble: false });
let clients: AwsClients;
let run: FunctionRun;
let r1: Revision;
let r2: Revision;

const CONFIG = {
  version: 1,
  certificates: [
    {
      id: 'web',
      domains: ['www.acme-ha.test'],
      groups: ['web'],
      dmz: ['dmz-1'],
      keystores: [{ format: 'pem' }],
    },
    { id: 'idle', domains: ['idle.acme-ha.test'], groups: ['idle'], keystores: [{ format: 'pem' }] },
  ],
  nodes: [
    { id: 'current-1', groups: ['web'] },
    { id: 'lagging-1', groups: ['web'] },
    { id: 'failed-1', groups: ['web'] },
    { id: 'silent-1', groups: ['web'] },
    { id: 'ghost-1', groups: ['web'] },
    { id: 'idle-1', groups: ['idle'] },
  ],
  dmz: [{ id: 'dmz-1', url: 'https://dmz-1.acme-ha.test:8443', pushedBy: ['current-1'] }],
};

beforeAll(async () => {
  const s = stack();
  clients = createAwsClients(s.clientConfigs);
  const table = s.resources.tableName;
  const now = Date.now();
  r1 = aRevision({ revision: 1, createdAt: new Date(now - days(40)).toISOString() });
  r2 = aRevision({ revision: 2, createdAt: new Date(now - days(2)).toISOString() });
  await writeFleet(
    {
      state: new DynamoStateStore(clients.documents, table),
      nodes: new DynamoNodeStatusStore(clients.documents, table),
    },
    {
      revisions: [r1, r2],
      statuses: [
        aNodeStatus({ nodeId: 'current-1', revisionOnDisk: 2 }),
        aNodeStatus({ nodeId: 'dmz:dmz-1', revisionOnDisk: 2 }),
        aNodeStatus({ nodeId: 'lagging-1', revisionOnDisk: 1 }),
        aNodeStatus({
          nodeId: 'failed-1',
          revisionOnDisk: 1,
          result: 'rolled-back',
          errorCode: 'PROBE_FAILED',
          error: 'served serial 01ab, expected 02ab',
          failingSince: new Date(now - minutes(20)).toISOString(),
        }),
        aNodeStatus({
          nodeId: 'silent-1',
          revisionOnDisk: 2,
          updatedAt: new Date(now - minutes(90)).toISOString(),
        }),
      ],
    },
  );
  run = await runFunctionBundle('fleet-watch', {
    env: { ...s.env, ACME_HA_CONFIG_FILE: FLEET_WATCH_CONFIG_FILE },
    files: { [FLEET_WATCH_CONFIG_FILE]: JSON.stringify(CONFIG) },
  });
});

afterAll(() => clients?.destroy());

/** The EMF line of one node of one certificate. */
function lineOf(certificateId: string, nodeId: string): EmfRecord {
  const found = run.emf.filter((r) => r.CertificateId === certificateId && r.NodeId === nodeId);
  expect(found, `${certificateId}/${nodeId}`).toHaveLength(1);
  return found[0] as EmfRecord;
}

/** Metric name → value of a line, for the metrics it defines. */
function valuesOf(record: EmfRecord): Record<string, unknown> {
  const names = record._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));
  return Object.fromEntries(names.map((n) => [n, record[n]]));
}

const daysUntil = (notAfter: string): number => (Date.parse(notAfter) - Date.now()) / days(1);
const { daysRemaining, revisionLag, nodeFailed, nodeSilent } = FLEET_METRICS;

describe('the fleet-watch Lambda against the embedded stack', () => {
  it('emits one EMF line per node and DMZ instance, in the acme-ha namespace, per certificate and per node', () => {
    expect(run.emf.map((r) => `${r.CertificateId}/${r.NodeId}`).sort()).toEqual([
      'idle/idle-1',
      'web/current-1',
      'web/dmz:dmz-1',
      'web/failed-1',
      'web/ghost-1',
      'web/lagging-1',
      'web/silent-1',
    ]);
    for (const record of run.emf) {
      expect(record._aws.CloudWatchMetrics).toHaveLength(1);
      const [directive] = record._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
      // Exactly the dimension sets the alarms and dashboard name: no Powertools `service`.
      expect(directive?.Dimensions).toEqual(FLEET_DIMENSION_SETS);
      expect(record).not.toHaveProperty('service');
      expect(record._aws.Timestamp).toBeGreaterThan(Date.now() - minutes(5));
    }
    expect(emittedMetrics(run.emf)).toEqual(
      Object.values(FLEET_METRICS)
        .map((m) => `${METRICS_NAMESPACE}/${m.name}`)
        .sort(),
    );
  });

  it('a current node: days left on revision 2, no lag, not failed, not silent', () => {
    const line = lineOf('web', 'current-1');
    expect(valuesOf(line)).toEqual({
      [daysRemaining.name]: expect.closeTo(daysUntil(r2.notAfter), 1),
      [revisionLag.name]: 0,
      [nodeFailed.name]: 0,
      [nodeSilent.name]: 0,
    });
    expect(line).toMatchObject({ kind: 'node', result: 'applied', problems: 'none' });
    expect(line._aws.CloudWatchMetrics[0]?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: daysRemaining.name, Unit: 'None' },
        { Name: revisionLag.name, Unit: 'Count' },
      ]),
    );
    expect(valuesOf(lineOf('web', 'dmz:dmz-1'))).toMatchObject({
      [revisionLag.name]: 0,
      [nodeSilent.name]: 0,
    });
    expect(lineOf('web', 'dmz:dmz-1')).toMatchObject({ kind: 'dmz' });
  });

  it('a lagging node: one revision behind, days left on what it still serves', () => {
    expect(valuesOf(lineOf('web', 'lagging-1'))).toEqual({
      [daysRemaining.name]: expect.closeTo(daysUntil(r1.notAfter), 1),
      [revisionLag.name]: 1,
      [nodeFailed.name]: 0,
      [nodeSilent.name]: 0,
    });
  });

  it('a failed node: node_failed 1, with the result in the line', () => {
    const line = lineOf('web', 'failed-1');
    expect(valuesOf(line)).toMatchObject({
      [nodeFailed.name]: 1,
      [revisionLag.name]: 1,
      [nodeSilent.name]: 0,
    });
    // Revision 2 came out two days ago: it also lags beyond the grace.
    expect(line).toMatchObject({ result: 'rolled-back', problems: 'failed,lagging' });
  });

  it('a silent node (last report 90 minutes ago) and a declared node that never reported: node_silent 1', () => {
    const silent = lineOf('web', 'silent-1');
    expect(valuesOf(silent)).toMatchObject({
      [nodeSilent.name]: 1,
      [revisionLag.name]: 0,
      [nodeFailed.name]: 0,
    });
    expect(silent).toMatchObject({ problems: 'silent' });
    expect(Date.parse(String(silent.lastSeenAt))).toBeLessThan(Date.now() - minutes(89));
    const ghost = lineOf('web', 'ghost-1');
    expect(valuesOf(ghost)).toEqual({ [nodeSilent.name]: 1 });
    expect(ghost).toMatchObject({ result: 'never-seen', lastSeenAt: 'never', problems: 'silent' });
  });

  it('a certificate with nothing published: its nodes are not silent, nothing else is known', () => {
    expect(valuesOf(lineOf('idle', 'idle-1'))).toEqual({ [nodeSilent.name]: 0 });
  });

  it('returns and logs each certificate’s verdict', () => {
    const result = run.result as FleetWatchResult;
    expect(result.unreadable).toEqual([]);
    expect(result.certificates).toEqual([
      {
        certificateId: 'web',
        healthy: false,
        counts: expect.objectContaining({ nodes: 5, neverSeen: 1, silent: 2, failed: 1, lagging: 2 }),
      },
      { certificateId: 'idle', healthy: true, counts: expect.objectContaining({ nodes: 0, neverSeen: 1 }) },
    ]);
    expect(run.logs.filter((l) => l.message === 'fleet watched').map((l) => l.certificateId)).toEqual([
      'web',
      'idle',
    ]);
  });
});
