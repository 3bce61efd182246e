/**
 * The project's own import graph, read with the TypeScript parser: every relative import, export
 * and `import()` of every part's files, each edge marked static, type-only or dynamic. The
 * architecture test checks the layout table (build/layout.ts) and the absence of cycles on it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { mayImport, PARTS, rulesFor } from './layout.ts';

export type EdgeKind = 'static' | 'type' | 'dynamic';

export interface ImportEdge {
  /** Both relative to the repository root. */
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
}

export type ImportGraph = ReadonlyMap<string, readonly ImportEdge[]>;

/** Every TypeScript file of every part, with its relative imports resolved to files. */
export function importGraph(root: string): ImportGraph {
  const graph = new Map<string, ImportEdge[]>();
  for (const part of PARTS)
    for (const file of sourceFiles(root, part.name)) graph.set(file, importsOf(root, file));
  return graph;
}

function sourceFiles(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(root, path);
    return /\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function importsOf(root: string, file: string): ImportEdge[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(root, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const edges: ImportEdge[] = [];
  const add = (specifier: ts.Expression | undefined, kind: EdgeKind) => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.')) return;
    edges.push({ from: file, to: resolve(root, file, specifier.text), kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node))
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ? 'type' : 'static');
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly ? 'type' : 'static');
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(node.argument.literal as ts.Expression, 'type');
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node.arguments[0], 'dynamic');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

function resolve(root: string, file: string, specifier: string): string {
  const target = normalize(join(dirname(file), specifier));
  if (existsSync(join(root, target))) return target;
  const found = ['.ts', '/index.ts'].map((ext) => target + ext).find((path) => existsSync(join(root, path)));
  return found ?? target;
}

/** Imports that cross the layout's rules, one line each. */
export function layoutViolations(graph: ImportGraph): string[] {
  return [...graph.values()]
    .flat()
    .filter((edge) => !mayImport(edge.from, edge.to))
    .map((edge) => `${edge.from} -> ${edge.to} (${rulesFor(edge.from)?.message ?? ''})`);
}

/** Every cycle, whatever the kinds of its edges: a lazy or type-only import still ties two files together. */
export function findCycles(graph: ImportGraph): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const { to } of graph.get(file) ?? []) {
      if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to) && graph.has(to)) visit(to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

/** The files a process loads at start from `entry`: static imports only (type-only and `import()` not). */
export function loadedAtStart(graph: ImportGraph, entry: string): Set<string> {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift())
    for (const edge of graph.get(file) ?? [])
      if (edge.kind === 'static' && !seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
  return seen;
}
