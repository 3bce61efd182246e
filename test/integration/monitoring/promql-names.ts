/**
 * The metric and label names a PromQL expression uses, and the names a Prometheus text exposition
 * exports: enough of PromQL's lexical grammar to tell a metric name from a function, a keyword, a
 * label, a duration or a string, so a test can hold alert rules and dashboards to what the agent
 * really exports. Grafana's `$variable`s count as label values, never as names.
 */

/** A vector selector: a metric name and the label names its matchers use. */
export interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

export interface ExpressionNames {
  readonly selectors: readonly Selector[];
  /** Label names of `by`, `without`, `on`, `ignoring`, `group_left` and `group_right` lists. */
  readonly groupingLabels: readonly string[];
}

type Token =
  | { readonly kind: 'name'; readonly text: string }
  | { readonly kind: 'punct'; readonly text: string }
  | { readonly kind: 'literal' };

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);
/** Aggregation operators: their `by`/`without` clause may stand between the name and the `(`. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < expr.length && expr[i] !== c) i += expr[i] === '\\' && c !== '`' ? 2 : 1;
      if (i >= expr.length) throw new Error(`unterminated string in: ${expr}`);
      i++;
      tokens.push({ kind: 'literal' });
    } else if (c === '$') {
      // A Grafana variable, $name or ${name}: a value, never a metric or label name.
      i++;
      if (expr[i] === '{') while (i < expr.length && expr[i - 1] !== '}') i++;
      else while (i < expr.length && /\w/.test(expr.charAt(i))) i++;
      tokens.push({ kind: 'literal' });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(expr.charAt(i + 1)))) {
      // Numbers (1, 0.5, 1e3, 0x1f) and durations (5m, 1h30m) alike.
      while (i < expr.length && /[0-9a-zA-Z_.]/.test(expr.charAt(i))) i++;
      tokens.push({ kind: 'literal' });
    } else if (/[a-zA-Z_:]/.test(c)) {
      const start = i;
      while (i < expr.length && /[a-zA-Z0-9_:]/.test(expr.charAt(i))) i++;
      tokens.push({ kind: 'name', text: expr.slice(start, i) });
    } else {
      const two = expr.slice(i, i + 2);
      const text = ['==', '!=', '>=', '<=', '=~', '!~'].includes(two) ? two : c;
      i += text.length;
      tokens.push({ kind: 'punct', text });
    }
  }
  return tokens;
}

/** The selectors and grouping labels of one PromQL expression. */
export function namesIn(expr: string): ExpressionNames {
  const tokens = tokenize(expr);
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  const isPunct = (k: number, text: string) => {
    const t = tokens[k];
    return t?.kind === 'punct' && t.text === text;
  };
  /** Reads the label names of a `{...}` matcher list starting at k; returns them and the index after it. */
  const matchers = (k: number): [string[], number] => {
    const labels: string[] = [];
    let j = k + 1;
    for (; j < tokens.length && !isPunct(j, '}'); j++) {
      const t = tokens[j];
      if (t?.kind === 'name') labels.push(t.text);
    }
    if (j >= tokens.length) throw new Error(`unterminated label matchers in: ${expr}`);
    return [labels, j + 1];
  };
  let k = 0;
  while (k < tokens.length) {
    const t = tokens[k];
    if (t?.kind === 'punct' && t.text === '{') {
      // A selector without a metric name, {job="x"}: only __name__ could name one.
      const [labels, next] = matchers(k);
      if (labels.includes('__name__')) throw new Error(`write the metric name, not __name__: ${expr}`);
      k = next;
      continue;
    }
    if (t?.kind !== 'name') {
      k++;
      continue;
    }
    const word = t.text;
    if (GROUPING.has(word.toLowerCase())) {
      k++;
      // group_left and group_right may stand without a list.
      if (isPunct(k, '(')) {
        for (k++; k < tokens.length && !isPunct(k, ')'); k++) {
          const label = tokens[k];
          if (label?.kind === 'name') groupingLabels.push(label.text);
        }
        k++;
      }
    } else if (KEYWORDS.has(word.toLowerCase()) || AGGREGATIONS.has(word) || isPunct(k + 1, '(')) {
      // A keyword, an aggregation, or a function called with its arguments.
      k++;
    } else if (isPunct(k + 1, '{')) {
      const [labels, next] = matchers(k + 1);
      if (labels.includes('__name__')) throw new Error(`write the metric name, not __name__: ${expr}`);
      selectors.push({ metric: word, labels });
      k = next;
    } else {
      selectors.push({ metric: word, labels: [] });
      k++;
    }
  }
  return { selectors, groupingLabels };
}

/**
 * The expression inside a Grafana Prometheus variable query: `label_values(expr, label)` (the label
 * is returned too), `query_result(expr)`, or the query itself.
 */
export function variableQuery(query: string): { readonly expr: string; readonly label?: string } {
  const labelValues = /^\s*label_values\(\s*(.*?)\s*(?:,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*)?\)\s*$/s.exec(query);
  if (labelValues?.[1] !== undefined) {
    // label_values(label) has only a label.
    if (labelValues[2] === undefined) return { expr: '', label: labelValues[1] };
    return { expr: labelValues[1], label: labelValues[2] };
  }
  const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  return { expr: queryResult?.[1] ?? query };
}

/** Metric families of a text exposition (version 0.0.4) with the label names their samples carry. */
export function exportedMetrics(exposition: string): Map<string, Set<string>> {
  const families = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) /.exec(line);
    if (type?.[1]) {
      families.set(type[1], families.get(type[1]) ?? new Set());
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!sample?.[1]) throw new Error(`not a sample line: ${line}`);
    const labels = families.get(sample[1]);
    if (!labels) throw new Error(`sample of ${sample[1]} before its # TYPE line`);
    for (const [, name] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g))
      if (name) labels.add(name);
  }
  return families;
}
