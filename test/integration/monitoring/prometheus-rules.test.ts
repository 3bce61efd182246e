/**
 * The monitoring examples (examples/monitoring) against real programs: promtool checks the alert
 * rules and runs their unit tests, and a real agent — synced against the embedded stack and scraped
 * on its own /metrics — exports every metric and label the rules and the Grafana dashboard use.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { AgentMetrics } from '../../../agent/agent-metrics.ts';
import { type AgentServers, startAgentServers } from '../../../agent/agent-servers.ts';
import { type AgentRuntime, createAgent } from '../../../agent/compose-agent.ts';
import { type SyncOnceResult, syncOnce } from '../../../core/agent/agent-loop.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { ensureTools, TOOLS } from '../../../local/prerequisites.ts';
import { agentConfigFor } from '../../support/agent-fleet.ts';
import { aServerPki } from '../../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../../support/agent-revisions.ts';
import { execute } from '../../support/cli.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { exportedMetrics, namesIn, variableQuery } from './promql-names.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const EXAMPLES = join(ROOT, 'examples', 'monitoring');
const RULES = join(EXAMPLES, 'acme-ha-rules.yml');
const RULE_TESTS = join(EXAMPLES, 'acme-ha-rules.test.yml');
const DASHBOARD = join(EXAMPLES, 'grafana-dashboard.json');
const RUNBOOK = join(ROOT, 'docs', 'monitoring.md');
const RUNBOOK_URL = 'https://github.com/acme-ha/acme-ha/blob/main/docs/monitoring.md#';
/** Grafana's reference to the dashboard's data source variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const DATASOURCE_UID = '${DS_PROMETHEUS}';

/** Labels Prometheus adds to every scraped series, and `up`, the series it makes for each target. */
const TARGET_LABELS = ['job', 'instance'];
const UP = 'up';

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

interface Dashboard {
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid?: string };
  readonly gridPos?: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly targets?: readonly { readonly expr?: string; readonly datasource?: { readonly uid?: string } }[];
  readonly panels?: readonly Panel[];
}

interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
}

/** An expression and where it comes from, for the failure messages. */
interface Use {
  readonly where: string;
  readonly expr: string;
  /** The label a Grafana `label_values(expr, label)` variable lists: one its metric must carry. */
  readonly listsLabel?: string;
}

const rules: Rule[] = (
  parseYaml(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

function ruleUses(): Use[] {
  return rules.map((r) => ({ where: `rule ${r.alert} (${r.labels?.severity})`, expr: r.expr }));
}

/** Panel queries and variable queries; `label_values(expr, label)` counts as a selector with `label`. */
function dashboardUses(): Use[] {
  const fromPanels = panels.flatMap((p) =>
    (p.targets ?? []).flatMap((t, i) =>
      t.expr ? [{ where: `panel "${p.title}" query ${i}`, expr: t.expr }] : [],
    ),
  );
  const fromVariables = dashboard.templating.list.flatMap((v): Use[] => {
    if (v.type !== 'query') return [];
    const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const { expr, label } = variableQuery(query);
    return [{ where: `variable $${v.name}`, expr, ...(label ? { listsLabel: label } : {}) }];
  });
  return [...fromPanels, ...fromVariables];
}

/**
 * What in `uses` the exposition does not back: metric names it does not export, matchers on labels
 * a metric does not carry, grouping by labels no exported series has. Empty when all is well.
 */
function unexportedNames(uses: readonly Use[], exported: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const everyLabel = new Set([...TARGET_LABELS, ...[...exported.values()].flatMap((l) => [...l])]);
  const problems: string[] = [];
  for (const { where, expr, listsLabel } of uses) {
    const { selectors, groupingLabels } = namesIn(expr);
    for (const { metric, labels: matched } of selectors) {
      const labels = listsLabel ? [...matched, listsLabel] : matched;
      const known = metric === UP ? new Set<string>() : exported.get(metric);
      if (!known) {
        problems.push(`${where}: metric ${metric} is not exported`);
        continue;
      }
      for (const label of labels)
        if (!known.has(label) && !TARGET_LABELS.includes(label))
          problems.push(`${where}: ${metric} has no label ${label}`);
    }
    for (const label of groupingLabels)
      if (!everyLabel.has(label)) problems.push(`${where}: no exported series has the label ${label}`);
  }
  return problems;
}

/** Metric names used by `uses` (without `up`). */
function metricsUsed(uses: readonly Use[]): Set<string> {
  return new Set(uses.flatMap((u) => namesIn(u.expr).selectors.map((s) => s.metric)).filter((m) => m !== UP));
}

/** GitHub's anchors of the headings of a Markdown file. */
function headingAnchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) =>
      (heading ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

beforeAll(async () => {
  await ensureTools([TOOLS.promtool], (line) => console.log(`[monitoring] ${line}`));
});

describe('promtool accepts the rules and their unit tests pass', () => {
  it('check rules, with every lint', async () => {
    const result = await execute(TOOLS.promtool.command, [
      'check',
      'rules',
      '--lint=all',
      '--lint-fatal',
      RULES,
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('test rules: every alert fires when it should, and a healthy fleet raises none', async () => {
    const result = await execute(TOOLS.promtool.command, ['test', 'rules', RULE_TESTS]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS');
  });

  it('the unit tests catch a broken rule: a threshold changed makes them fail', async () => {
    const dir = await tempDir('acme-ha-rules-');
    const broken = readFileSync(RULES, 'utf8').replace('/ 86400 < 14', '/ 86400 < 1');
    expect(broken).not.toBe(readFileSync(RULES, 'utf8'));
    await writeFile(join(dir, 'acme-ha-rules.yml'), broken);
    await writeFile(join(dir, 'acme-ha-rules.test.yml'), readFileSync(RULE_TESTS));
    const result = await execute(TOOLS.promtool.command, [
      'test',
      'rules',
      join(dir, 'acme-ha-rules.test.yml'),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('AcmeHaCertificateExpiresSoon');
  });

  it("the dashboard's queries are valid PromQL (checked as recording rules)", async () => {
    const dir = await tempDir('acme-ha-dashboard-');
    // Grafana's variables become what they stand for: a regex matching everything, a range.
    const concrete = (expr: string) =>
      expr.replaceAll(/\$__(rate_)?interval|\$__range/g, '5m').replaceAll(/\$\{?\w+\}?/g, '.*');
    const recording = dashboardUses().map((u, i) => ({
      record: `acme_ha:dashboard_query_${i}`,
      expr: concrete(u.expr),
    }));
    const file = join(dir, 'dashboard-queries.yml');
    await writeFile(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: recording }] }));
    const result = await execute(TOOLS.promtool.command, ['check', 'rules', file]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${recording.length} rules found`);
  });
});

describe('the rules are complete and documented', () => {
  const tests = parseYaml(readFileSync(RULE_TESTS, 'utf8')) as {
    tests: { name: string; alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const alerts = [...new Set(rules.map((r) => r.alert))];

  it('every alert has a severity, a summary, a description and a runbook section in docs/monitoring.md', () => {
    const anchors = headingAnchors(readFileSync(RUNBOOK, 'utf8'));
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const url = rule.annotations?.runbook_url ?? '';
      expect(url, rule.alert).toBe(`${RUNBOOK_URL}${rule.alert.toLowerCase()}`);
      expect(anchors, `docs/monitoring.md has no heading for ${url}`).toContain(
        url.slice(RUNBOOK_URL.length),
      );
    }
  });

  it('every alert fires in some unit test, and none in the healthy one', () => {
    const fired = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    expect([...fired].sort()).toEqual([...alerts].sort());
    const healthy = tests.tests.find((t) => t.name.includes('healthy'));
    expect(
      healthy?.alert_rule_test
        .filter((a) => a.exp_alerts.length === 0)
        .map((a) => a.alertname)
        .sort(),
    ).toEqual([...alerts].sort());
  });

  it('the dashboard is a Grafana dashboard on a DS_PROMETHEUS data source', () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }),
    );
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const panel of panels) {
      expect(panel.gridPos, panel.title).toBeDefined();
      expect(panel.datasource?.uid, panel.title).toBe(DATASOURCE_UID);
      for (const target of panel.targets ?? [])
        expect(target.datasource?.uid, panel.title).toBe(DATASOURCE_UID);
    }
  });
});

describe('a real agent exports every metric and label the rules and the dashboard use', () => {
  const NODE = 'mon-1';
  const stack = useLocalStack({ nodes: [NODE], prefix: 'monitoring', pebble: false });
  let clients: AwsClients;
  let runtime: AgentRuntime | undefined;
  let servers: AgentServers | undefined;
  let synced: SyncOnceResult;
  let exposition: string;
  let exported: Map<string, Set<string>>;

  beforeAll(async () => {
    const s = stack();
    clients = createAwsClients(s.clientConfigs);
    const stores = stackStores(s, clients);
    const pki = await aServerPki();
    await publishRevision(stores, 'web', pki);
    await publishRevision(stores, 'api', pki);
    const base = await tempDir('acme-ha-monitoring-');
    await mkdir(join(base, 'web'));
    await mkdir(join(base, 'api'));
    const config = {
      ...agentConfigFor(s, NODE, join(base, 'state'), [
        { certificateId: 'web', format: 'pem', path: join(base, 'web') },
        // Names the revision does not cover: the agent rejects it, a failed sync to alert on.
        { certificateId: 'api', format: 'pem', path: join(base, 'api'), names: ['other.acme-ha.test'] },
      ]),
      metrics: { host: '127.0.0.1', port: 0 },
    };
    const metrics = new AgentMetrics(NODE);
    runtime = await createAgent(config, {
      log: silentLogger,
      clientConfigs: s.clientConfigs,
      observer: metrics.observer(),
      pollMs: 50,
    });
    const queue = s.resources.queues[NODE];
    if (!queue) throw new Error(`the stack has no queue for ${NODE}`);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'not an event' }));
    // The last receive allowed: the poison message is counted as dead-lettered too.
    synced = await syncOnce(runtime.deps, { ...runtime.options, maxReceiveCount: 1 });
    servers = await startAgentServers(config, {
      metrics,
      log: silentLogger,
      challengeStore: () => Promise.reject(new Error('no responder configured')),
    });
    if (!servers.metricsUrl) throw new Error('the agent started no metrics endpoint');
    const response = await fetch(servers.metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    exposition = await response.text();
    exported = exportedMetrics(exposition);
  });

  afterAll(async () => {
    await servers?.stop();
    runtime?.close();
    clients?.destroy();
  });

  it('the agent synced for real: one certificate applied, one rejected, one poison message', () => {
    expect(Object.fromEntries(synced.outcomes.map((o) => [o.certificateId, o.result]))).toEqual({
      web: 'applied',
      api: 'rejected',
    });
    expect(exposition).toContain(`acme_ha_agent_installed_revision{node="${NODE}",certificate="web"} 1\n`);
    expect(exposition).toContain(`acme_ha_agent_last_sync_failed{node="${NODE}",certificate="api"} 1\n`);
    expect(exposition).toContain(
      `acme_ha_agent_last_sync_result{node="${NODE}",certificate="api",result="rejected"} 1\n`,
    );
    expect(exposition).toContain(`acme_ha_agent_poison_messages_total{node="${NODE}"} 1\n`);
    expect(exposition).toContain(`acme_ha_agent_dead_lettered_messages_total{node="${NODE}"} 1\n`);
  });

  it('the rules use only exported metrics and labels', () => {
    expect(unexportedNames(ruleUses(), exported)).toEqual([]);
  });

  it('the dashboard uses only exported metrics and labels', () => {
    expect(unexportedNames(dashboardUses(), exported)).toEqual([]);
  });

  it('alert templates use only labels the alerts carry', () => {
    const everyLabel = new Set([...TARGET_LABELS, ...[...exported.values()].flatMap((l) => [...l])]);
    for (const rule of rules)
      for (const text of Object.values(rule.annotations ?? {}))
        for (const [, label] of text.matchAll(/\$labels\.(\w+)/g))
          expect(everyLabel, rule.alert).toContain(label);
  });

  it('together they use every metric the agent exports, and the rules find the names they should', () => {
    expect([...metricsUsed([...ruleUses(), ...dashboardUses()])].sort()).toEqual([...exported.keys()].sort());
    // The parser finds the metric names in the rules, and only those (no functions, keywords, labels).
    expect([...metricsUsed(ruleUses())].sort()).toEqual([
      'acme_ha_agent_certificate_not_after_seconds',
      'acme_ha_agent_dead_lettered_messages_total',
      'acme_ha_agent_installed_revision',
      'acme_ha_agent_last_sync_failed',
      'acme_ha_agent_last_sync_result',
      'acme_ha_agent_last_sync_timestamp_seconds',
      'acme_ha_agent_poison_messages_total',
    ]);
  });

  it('the check fails on a metric the agent does not export, or a label it does not carry', () => {
    const invented: Use[] = [
      { where: 'lag', expr: 'acme_ha_agent_revision_lag{job="acme-ha-agent"} > 0' },
      { where: 'served', expr: '(acme_ha_agent_served_not_after_seconds - time()) / 86400 < 14' },
      { where: 'poison', expr: 'increase(acme_ha_agent_poison_messages_total{certificate="web"}[1h]) > 0' },
      { where: 'profile', expr: 'max by (profile) (acme_ha_agent_installed_revision)' },
      {
        where: 'variable',
        expr: 'acme_ha_agent_last_sync_failed{certificate=~"$certificate"}',
        listsLabel: 'profile',
      },
    ];
    expect(unexportedNames(invented, exported)).toEqual([
      'lag: metric acme_ha_agent_revision_lag is not exported',
      'served: metric acme_ha_agent_served_not_after_seconds is not exported',
      'poison: acme_ha_agent_poison_messages_total has no label certificate',
      'profile: no exported series has the label profile',
      'variable: acme_ha_agent_last_sync_failed has no label profile',
    ]);
  });
});

describe('namesIn reads PromQL as Prometheus does', () => {
  it('tells metric names from functions, keywords, labels, durations, strings and Grafana variables', () => {
    expect(
      namesIn(
        'sum by (certificate) (increase(a_total{job=~"$job", node="x,y}"}[1h] offset 5m)) / on (node) group_left (result) ' +
          'max without (instance) (b{result="up"} == bool 1) and c unless absent(d) or vector(0) > time() - 1e3 # e',
      ),
    ).toEqual({
      selectors: [
        { metric: 'a_total', labels: ['job', 'node'] },
        { metric: 'b', labels: ['result'] },
        { metric: 'c', labels: [] },
        { metric: 'd', labels: [] },
      ],
      groupingLabels: ['certificate', 'node', 'result', 'instance'],
    });
    expect(variableQuery('label_values(m{job=~"$job", a="b"}, certificate)')).toEqual({
      expr: 'm{job=~"$job", a="b"}',
      label: 'certificate',
    });
  });

  it('reads families and label names from a text exposition, escaped values included', () => {
    expect(
      exportedMetrics('# HELP m x\n# TYPE m gauge\nm{node="n",certificate="a\\"b"} 1\n# TYPE n counter\n'),
    ).toEqual(
      new Map([
        ['m', new Set(['node', 'certificate'])],
        ['n', new Set()],
      ]),
    );
  });
});
