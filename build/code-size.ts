/**
 * Size limits for a folder of TypeScript, read with the TypeScript parser: files over 400 lines,
 * functions (declarations, methods, constructors, accessors, function expressions and arrow
 * functions) over 60 lines, and functions over 5 parameters. test/unit/core-size.test.ts holds
 * core/ to them: a use case that outgrows them wants a context object and a split by concern.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface CodeSizeLimits {
  readonly maxFileLines: number;
  readonly maxFunctionLines: number;
  readonly maxParameters: number;
}

export const CODE_SIZE_LIMITS: CodeSizeLimits = { maxFileLines: 400, maxFunctionLines: 60, maxParameters: 5 };

export type CodeSizeKind = 'file lines' | 'function lines' | 'parameters';

export interface CodeSizeOffender {
  /** Relative to the root given to {@link codeSizeOffenders}, or as given to {@link sourceOffenders}. */
  readonly file: string;
  /** 1-based line where the file or function starts. */
  readonly line: number;
  /** The function's name (`Class.method`, the variable an arrow function is assigned to), or the file. */
  readonly name: string;
  readonly kind: CodeSizeKind;
  readonly size: number;
  readonly limit: number;
}

/** Every offender among the `.ts` files under `folder` (relative to `root`), in file and line order. */
export function codeSizeOffenders(
  root: string,
  folder: string,
  limits: CodeSizeLimits = CODE_SIZE_LIMITS,
): CodeSizeOffender[] {
  return sourceFiles(join(root, folder)).flatMap((path) =>
    sourceOffenders(relative(root, path), readFileSync(path, 'utf8'), limits),
  );
}

/** The offenders in one file's text; `file` only names them. */
export function sourceOffenders(
  file: string,
  text: string,
  limits: CodeSizeLimits = CODE_SIZE_LIMITS,
): CodeSizeOffender[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const offenders: CodeSizeOffender[] = [];
  const fileLines = lineCount(text);
  if (fileLines > limits.maxFileLines)
    offenders.push({
      file,
      line: 1,
      name: file,
      kind: 'file lines',
      size: fileLines,
      limit: limits.maxFileLines,
    });
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const line = lineOf(source, node.getStart(source));
      const lines = lineOf(source, node.getEnd()) - line + 1;
      const parameters = node.parameters.filter((p) => p.name.getText(source) !== 'this').length;
      const name = functionName(node, source);
      if (lines > limits.maxFunctionLines)
        offenders.push({
          file,
          line,
          name,
          kind: 'function lines',
          size: lines,
          limit: limits.maxFunctionLines,
        });
      if (parameters > limits.maxParameters)
        offenders.push({
          file,
          line,
          name,
          kind: 'parameters',
          size: parameters,
          limit: limits.maxParameters,
        });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return offenders;
}

/** One line per offender, as a person reads it: `core/x.ts:12 syncAll: 72 function lines (limit 60)`. */
export function describeOffender(offender: CodeSizeOffender): string {
  const where =
    offender.kind === 'file lines' ? offender.file : `${offender.file}:${offender.line} ${offender.name}`;
  return `${where}: ${offender.size} ${offender.kind} (limit ${offender.limit})`;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
}

/** Lines as `wc -l` counts them, plus a last line without a newline. */
function lineCount(text: string): number {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

function lineOf(source: ts.SourceFile, position: number): number {
  return source.getLineAndCharacterOfPosition(position).line + 1;
}

function functionName(node: ts.SignatureDeclaration, source: ts.SourceFile): string {
  const own = node.name?.getText(source);
  const owner = ts.isClassLike(node.parent) ? node.parent.name?.getText(source) : undefined;
  if (ts.isConstructorDeclaration(node)) return `${owner ?? '<class>'}.constructor`;
  if (own) return owner ? `${owner}.${own}` : own;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText(source);
  return '<anonymous>';
}
