/**
 * Every alarm of the stack watches a metric some code emits: no alarm may wait for a metric nobody
 * publishes (three did: `served_days_remaining`, `revision_lag` and `node_failed` were documented
 * as the agent's, and the agent never sent them). The emitted set comes from the code twice: the
 * list in core/metrics.ts that the fleet-watch function emits from and the alarms are built from,
 * and an actual capture of the EMF lines the built fleet-watch and renew functions print when run
 * against the embedded stack — the two must agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { FLEET_WATCH_CONFIG_FILE } from '../../cdk/fleet-watch.ts';
import { RENEWER_CONFIG_FILE } from '../../cdk/renewer.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import {
  FLEET_DIMENSION_SETS,
  FLEET_METRICS,
  METRICS_NAMESPACE,
  RENEWER_DIMENSIONS,
  RENEWER_METRICS,
  RETIRED_FLEET_METRICS,
} from '../../core/metrics.ts';
import { aNodeStatus, aRevision, writeFleet } from '../support/fleet-reports.ts';
import { type EmfRecord, runFunctionBundle } from '../support/function-runs.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';
import {
  type EmittedMetric,
  emittedFromEmf,
  unemittedProblems,
  type WatchedMetric,
  watchedMetrics,
} from './support/alarm-metrics.ts';
import { bareApp, ROOT, synth } from './support/synth.ts';

const EXAMPLE = readFileSync(join(ROOT, 'examples', 'acme-ha.yaml'), 'utf8');
const config = parseConfig(EXAMPLE, 'examples/acme-ha.yaml');

/** What core/metrics.ts says the functions emit (the functions and the alarms are built from it). */
const DECLARED: readonly EmittedMetric[] = [
  ...[...Object.values(FLEET_METRICS), ...Object.values(RETIRED_FLEET_METRICS)].map((m) => ({
    namespace: METRICS_NAMESPACE,
    metric: m.name,
    dimensionSets: FLEET_DIMENSION_SETS,
    statistic: m.statistic,
  })),
  ...Object.values(RENEWER_METRICS).map((m) => ({
    namespace: METRICS_NAMESPACE,
    metric: m.name,
    dimensionSets: [Object.keys(RENEWER_DIMENSIONS)],
    statistic: m.statistic,
  })),
];

const stack = useLocalStack({ prefix: 'alarm-metrics', pebble: false });
let clients: AwsClients;
let watched: WatchedMetric[];
let captured: { fleetWatch: readonly EmfRecord[]; renewer: readonly EmfRecord[] };

beforeAll(async () => {
  watched = watchedMetrics(synth({ outdir: await tempDir('acme-ha-alarms-') }).template);

  // A fleet in which every fleet metric has a value: web-1 serves the current revision of `web`,
  // and still holds the files of `legacy`, which left the configuration.
  const s = stack();
  clients = createAwsClients(s.clientConfigs);
  const table = s.resources.tableName;
  const state = new DynamoStateStore(clients.documents, table);
  await writeFleet(
    { state, nodes: new DynamoNodeStatusStore(clients.documents, table) },
    {
      revisions: [aRevision({ revision: 1 }), aRevision({ certificateId: 'legacy', revision: 1 })],
      statuses: [
        aNodeStatus({ nodeId: 'web-1' }),
        aNodeStatus({ certificateId: 'legacy', nodeId: 'web-1', result: 'retired' }),
      ],
    },
  );
  // As a run of the renewer leaves it after `legacy` left the configuration.
  const retiredAt = new Date().toISOString();
  await state.recordRetirement('legacy', retiredAt);
  await state.saveCatalog({ legacy: retiredAt, web: null }, { version: 0 });
  const configFile = { [RENEWER_CONFIG_FILE]: JSON.stringify(config) };
  const [fleetWatch, renewer] = await Promise.all([
    runFunctionBundle('fleet-watch', {
      env: { ...s.env, ACME_HA_CONFIG_FILE: FLEET_WATCH_CONFIG_FILE },
      files: configFile,
    }),
    // With no time left the renewer starts no certificate (and calls nothing), and with the
    // continuation limit reached it does not re-invoke itself: it only reports the run.
    runFunctionBundle('renew', {
      env: { ...s.env, ACME_HA_CONFIG_FILE: RENEWER_CONFIG_FILE },
      files: configFile,
      event: { continuation: 20 },
      remainingMs: 0,
    }),
  ]);
  captured = { fleetWatch: fleetWatch.emf, renewer: renewer.emf };
});

afterAll(() => clients?.destroy());

const custom = (list: readonly WatchedMetric[]) => list.filter((w) => !w.namespace.startsWith('AWS/'));

describe('the stack’s alarms', () => {
  it('watch only metrics that core/metrics.ts lists, by the dimensions and statistic it states', () => {
    // Four fleet alarms per certificate, and the renewal failure alarm.
    expect(custom(watched)).toHaveLength(config.certificates.length * Object.keys(FLEET_METRICS).length + 1);
    expect(unemittedProblems(watched, DECLARED)).toEqual([]);
  });

  it('watch only metrics the built functions really print as EMF against the embedded stack', () => {
    const emitted = emittedFromEmf([...captured.fleetWatch, ...captured.renewer]);
    expect(unemittedProblems(watched, emitted)).toEqual([]);
  });

  it('core/metrics.ts states exactly what the functions print: names, namespace and dimension sets', () => {
    const strip = (list: readonly EmittedMetric[]) =>
      list
        .map((e) => ({ ...e, statistic: null, dimensionSets: e.dimensionSets.map((s) => [...s].sort()) }))
        .sort((a, b) => a.metric.localeCompare(b.metric));
    const fleetMetrics = Object.keys(FLEET_METRICS).length + Object.keys(RETIRED_FLEET_METRICS).length;
    expect(emittedFromEmf(captured.fleetWatch)).toEqual(strip(DECLARED.slice(0, fleetMetrics)));
    expect(emittedFromEmf(captured.renewer)).toEqual(strip(DECLARED.slice(fleetMetrics)));
  });

  it('cover every fleet metric for every certificate, per certificate', () => {
    for (const certificate of config.certificates)
      for (const metric of Object.values(FLEET_METRICS))
        expect(
          watched.filter(
            (w) => w.metric === metric.name && w.alarm.includes(certificate.id.replace(/-/g, '')),
          ),
          `${certificate.id} ${metric.name}`,
        ).toEqual([expect.objectContaining({ dimensions: ['CertificateId'], statistic: metric.statistic })]);
  });
});

describe('the check', () => {
  it('fails on an alarm whose metric nothing emits, or that names other dimensions or another statistic', () => {
    const stack = new Stack(bareApp(), 'Stray');
    const alarmOn = (id: string, metric: cloudwatch.Metric) =>
      new cloudwatch.Alarm(stack, id, { metric, threshold: 1, evaluationPeriods: 1 });
    const metric = (metricName: string, dimensionsMap: Record<string, string>, statistic = 'Maximum') =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap,
        statistic,
        period: Duration.minutes(5),
      });
    alarmOn('AgentGone', metric('agent_heartbeat', { CertificateId: 'web' }));
    alarmOn('ByService', metric(FLEET_METRICS.nodeFailed.name, { service: 'fleet-watch' }));
    alarmOn('Average', metric(FLEET_METRICS.revisionLag.name, { CertificateId: 'web' }, 'Average'));
    alarmOn('Fine', metric(FLEET_METRICS.nodeSilent.name, { CertificateId: 'web', NodeId: 'web-1' }));
    alarmOn(
      'Aws',
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensionsMap: { FunctionName: 'x' },
      }),
    );
    const problems = unemittedProblems(watchedMetrics(Template.fromStack(stack)), DECLARED);
    expect(problems).toEqual([
      expect.stringMatching(/^AgentGone\w* watches acme-ha\/agent_heartbeat, which no code emits$/),
      expect.stringMatching(
        /^ByService\w* watches acme-ha\/node_failed by \[service\], which no code emits by$/,
      ),
      expect.stringMatching(/^Average\w* reads acme-ha\/revision_lag as Average, not as its emitter states$/),
    ]);
  });
});
