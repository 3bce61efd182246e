import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { InvalidInputError } from '../errors.ts';
import type * as z from './zod.ts';

/*
 * YAML parsing and schema validation with located problems, apart from the control plane's schema
 * (parse-config.ts) so that the agent and the DMZ receiver validate their own files without
 * evaluating it.
 */

/** One thing wrong in a configuration file, located by its path (and line, when known). */
export interface ConfigProblem {
  readonly path: string;
  readonly line: number | null;
  readonly message: string;
}

/** A configuration file that cannot be used; `problems` lists every mistake, not just the first. */
export class ConfigError extends InvalidInputError {
  override readonly name: string = 'ConfigError';
  override readonly code = 'INVALID_CONFIG';
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems
        .map(
          (p) => `  ${p.line === null ? '' : `line ${p.line}: `}${p.path ? `${p.path}: ` : ''}${p.message}`,
        )
        .join('\n')}`,
    );
  }
}

/** `certificates[1].domains[0]` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/**
 * Parses and validates YAML (or JSON, a subset of YAML) configuration text, generic over the schema
 * so the agent's own file gets the same treatment.
 * @throws ConfigError listing every problem with its path and line
 */
export function parseYamlConfig<S extends z.ZodMiniType>(
  text: string,
  source: string,
  schema: S,
): z.infer<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: '',
        line: lines.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const result = schema.safeParse(doc.toJS());
  if (result.success) return result.data;
  const lineOf = (path: readonly PropertyKey[]): number | null => {
    // The deepest node of the path that exists in the file.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node && (node.range || isMap(node) || isSeq(node)) && node.range)
        return lines.linePos(node.range[0]).line;
    }
    return null;
  };
  throw new ConfigError(
    source,
    result.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      // An unknown key is located at the key itself, not at the object that holds it.
      line: lineOf(
        issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path,
      ),
      message: issue.message,
    })),
  );
}
