/**
 * Runs a prebuilt Lambda bundle (dist/functions/<name>/index.mjs, as the stack deploys it) in a
 * plain Node child process, the way Lambda loads it, and reads back what it wrote on stdout: its
 * EMF lines (CloudWatch embedded metric format — what CloudWatch turns into metrics) apart from its
 * other log lines, and the handler's result.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { FUNCTION_FILE, type FunctionEntryName, functionAssetDir } from '../../cdk/function-bundle.ts';
import { tempDir } from './temp-dir.ts';

const run = promisify(execFile);

/** One EMF line, as CloudWatch reads it. */
export interface EmfRecord {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

export interface FunctionRun {
  readonly result: unknown;
  readonly emf: readonly EmfRecord[];
  /** Every other JSON line (the structured log). */
  readonly logs: readonly Record<string, unknown>[];
  readonly stderr: string;
}

const RESULT = 'RESULT ';

/** How the fake invocation looks to the handler. */
interface InvokeOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly event?: unknown;
  /** Milliseconds the fake context says are left. @default 60_000 */
  readonly remainingMs?: number;
}

/**
 * Invokes `handler(event, context)` of the built function with `env` (plus the caller's PATH), the
 * configuration file `files` beside a fake LAMBDA_TASK_ROOT.
 */
export async function runFunctionBundle(
  entry: FunctionEntryName,
  options: InvokeOptions & {
    /** Files placed in LAMBDA_TASK_ROOT (the code directory's extra files in the cloud). */
    readonly files?: Readonly<Record<string, string>>;
  },
): Promise<FunctionRun> {
  const taskRoot = await tempDir('acme-ha-function-');
  for (const [name, content] of Object.entries(options.files ?? {}))
    await writeFile(join(taskRoot, name), content);
  return invoke(join(functionAssetDir(entry), FUNCTION_FILE), 'handler', taskRoot, {
    ...options,
    functionName: `acme-ha-${entry}`,
  });
}

/** Splits a function's stdout into its EMF lines, its other JSON lines and its result line. */
export function parseStdout(stdout: string): Omit<FunctionRun, 'stderr'> {
  const emf: EmfRecord[] = [];
  const logs: Record<string, unknown>[] = [];
  let result: unknown;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(RESULT)) result = JSON.parse(line.slice(RESULT.length));
    else if (line.startsWith('{')) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if ('_aws' in parsed) emf.push(parsed as EmfRecord);
      else logs.push(parsed);
    }
  }
  return { result, emf, logs };
}

/** namespace/name of every metric the records define, once each, sorted. */
export function emittedMetrics(records: readonly EmfRecord[]): string[] {
  const names = records.flatMap((r) =>
    r._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => `${d.Namespace}/${m.Name}`)),
  );
  return [...new Set(names)].sort();
}

/**
 * Invokes the handler a deployed function names (`Handler: "index.handler"`) from the code
 * directory `codeDir` as it is — e.g. a synthesized cloud assembly's asset folder, the bytes
 * `cdk deploy` uploads — with LAMBDA_TASK_ROOT set to that directory (as Lambda does), so files
 * shipped beside the code (the configuration) are read from there and nowhere else. `env` is
 * the whole environment apart from PATH.
 */
export async function runFunctionCode(
  codeDir: string,
  handlerName: string,
  options: InvokeOptions & {
    /** The function's name in the fake context's ARN. @default 'function' */
    readonly functionName?: string;
  },
): Promise<FunctionRun> {
  const dot = handlerName.lastIndexOf('.');
  if (dot <= 0) throw new Error(`handler ${JSON.stringify(handlerName)} is not <module>.<export>`);
  const moduleName = handlerName.slice(0, dot);
  // Lambda's Node runtime tries the module as .mjs, then .cjs, then .js.
  const file = ['.mjs', '.cjs', '.js']
    .map((ext) => join(codeDir, `${moduleName}${ext}`))
    .find((candidate) => existsSync(candidate));
  if (!file) throw new Error(`${codeDir} has no ${moduleName}.mjs, .cjs or .js for handler ${handlerName}`);
  return invoke(file, handlerName.slice(dot + 1), codeDir, {
    ...options,
    functionName: options.functionName ?? 'function',
  });
}

/** Loads `file` in a child Node process with LAMBDA_TASK_ROOT (and cwd) `taskRoot` and calls its `exportName`. */
async function invoke(
  file: string,
  exportName: string,
  taskRoot: string,
  options: InvokeOptions & { readonly functionName: string },
): Promise<FunctionRun> {
  const context = {
    awsRequestId: 'request-1',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${options.functionName}`,
  };
  const script = `
    const module = await import(${JSON.stringify(pathToFileURL(file).href)});
    const handler = module[${JSON.stringify(exportName)}];
    if (typeof handler !== 'function') throw new Error('no handler export ' + ${JSON.stringify(exportName)});
    const context = { ...${JSON.stringify(context)}, getRemainingTimeInMillis: () => ${options.remainingMs ?? 60_000} };
    const result = await handler(${JSON.stringify(options.event ?? {})}, context);
    process.stdout.write(${JSON.stringify(RESULT)} + JSON.stringify(result) + '\\n');
  `;
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: taskRoot,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_NO_WARNINGS: '1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LAMBDA_TASK_ROOT: taskRoot,
      ...options.env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { ...parseStdout(stdout), stderr };
}
