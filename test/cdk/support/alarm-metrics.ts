/**
 * What the alarms of a synthesized template watch, and whether some code emits it: an alarm on a
 * metric nothing publishes sits in INSUFFICIENT_DATA (or OK) for ever, which is how three alarms
 * of the stack watched nothing for months.
 */
import type { Template } from 'aws-cdk-lib/assertions';

/** The metric one alarm watches. */
export interface WatchedMetric {
  readonly alarm: string;
  readonly namespace: string;
  readonly metric: string;
  /** Dimension names, sorted. */
  readonly dimensions: readonly string[];
  readonly statistic: string | null;
}

/** A metric some code publishes: under which dimension sets, and the statistic its alarms should read. */
export interface EmittedMetric {
  readonly namespace: string;
  readonly metric: string;
  readonly dimensionSets: readonly (readonly string[])[];
  /** Null: any statistic (a capture says nothing about how it should be read). */
  readonly statistic: string | null;
}

interface MetricStat {
  readonly Metric?: {
    readonly Namespace?: string;
    readonly MetricName?: string;
    readonly Dimensions?: readonly { Name: string }[];
  };
  readonly Stat?: string;
}

interface AlarmProperties {
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: readonly { Name: string }[];
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Metrics?: readonly { readonly Id: string; readonly MetricStat?: MetricStat }[];
}

/** Every metric every alarm of the template watches (metric math alarms: each metric they read). */
export function watchedMetrics(template: Template): WatchedMetric[] {
  const alarms = template.findResources('AWS::CloudWatch::Alarm') as Record<
    string,
    { Properties: AlarmProperties }
  >;
  return Object.entries(alarms).flatMap(([alarm, { Properties: p }]): WatchedMetric[] => {
    if (p.MetricName !== undefined)
      return [
        {
          alarm,
          namespace: p.Namespace ?? '',
          metric: p.MetricName,
          dimensions: (p.Dimensions ?? []).map((d) => d.Name).sort(),
          statistic: p.Statistic ?? p.ExtendedStatistic ?? null,
        },
      ];
    return (p.Metrics ?? []).flatMap((m) =>
      m.MetricStat?.Metric?.MetricName
        ? [
            {
              alarm: `${alarm}.${m.Id}`,
              namespace: m.MetricStat.Metric.Namespace ?? '',
              metric: m.MetricStat.Metric.MetricName,
              dimensions: (m.MetricStat.Metric.Dimensions ?? []).map((d) => d.Name).sort(),
              statistic: m.MetricStat.Stat ?? null,
            },
          ]
        : [],
    );
  });
}

/**
 * Each alarm whose metric no code emits, or emits under other dimensions, or is read with a
 * statistic other than the one its emitter states. AWS's own namespaces (`AWS/*`) are emitted by
 * the services.
 */
export function unemittedProblems(
  watched: readonly WatchedMetric[],
  emitted: readonly EmittedMetric[],
): string[] {
  return watched.flatMap((w) => {
    if (w.namespace.startsWith('AWS/')) return [];
    const name = `${w.namespace}/${w.metric}`;
    const candidates = emitted.filter((e) => e.namespace === w.namespace && e.metric === w.metric);
    if (candidates.length === 0) return [`${w.alarm} watches ${name}, which no code emits`];
    const sameDimensions = candidates.filter((e) =>
      e.dimensionSets.some((set) => [...set].sort().join(',') === w.dimensions.join(',')),
    );
    if (sameDimensions.length === 0)
      return [`${w.alarm} watches ${name} by [${w.dimensions.join(', ')}], which no code emits by`];
    if (
      w.statistic !== null &&
      sameDimensions.every((e) => e.statistic !== null && e.statistic !== w.statistic)
    )
      return [`${w.alarm} reads ${name} as ${w.statistic}, not as its emitter states`];
    return [];
  });
}

/** The metrics a capture of EMF records defines, with every dimension set each one came under. */
export function emittedFromEmf(
  records: readonly {
    readonly _aws: {
      readonly CloudWatchMetrics: readonly {
        readonly Namespace: string;
        readonly Dimensions: readonly (readonly string[])[];
        readonly Metrics: readonly { readonly Name: string }[];
      }[];
    };
  }[],
): EmittedMetric[] {
  const byName = new Map<string, { namespace: string; metric: string; sets: Map<string, string[]> }>();
  for (const record of records)
    for (const directive of record._aws.CloudWatchMetrics)
      for (const { Name } of directive.Metrics) {
        const key = `${directive.Namespace}/${Name}`;
        const entry = byName.get(key) ?? { namespace: directive.Namespace, metric: Name, sets: new Map() };
        for (const set of directive.Dimensions) entry.sets.set([...set].sort().join(','), [...set].sort());
        byName.set(key, entry);
      }
  return [...byName.values()]
    .map((e) => ({
      namespace: e.namespace,
      metric: e.metric,
      dimensionSets: [...e.sets.values()].sort((a, b) => a.length - b.length),
      statistic: null,
    }))
    .sort((a, b) => a.metric.localeCompare(b.metric));
}
