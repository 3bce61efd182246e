/**
 * The code of every acme-ha Lambda: the directory `npm run build` wrote for it under
 * dist/functions/ (cdk/function-bundle.ts), deployed as it is. Nothing is bundled at synth time, so
 * the constructs work in any CDK app that installed acme-ha, with no esbuild and no Docker.
 *
 * A function that needs a file beside its code (the renewer's configuration, the edge function's
 * table and region) deploys a copy of its directory with those files added, staged in the cloud
 * assembly directory at synth time. The files are part of the asset hash: a change deploys new code.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Names, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { AcmeHaError } from '../core/errors.ts';
import { FUNCTION_FILE, type FunctionEntryName, functionAssetDir } from './function-bundle.ts';

/** Where staged code directories go, inside the Stage's output directory. */
export const STAGED_CODE_DIR = 'acme-ha-function-code';

/**
 * The prebuilt code of a function is not there: a clone where `npm run build` has not run (an
 * installed package always has it). The message is one line, for `cdk synth` to print as it is.
 */
export class PrebuiltCodeMissingError extends AcmeHaError {
  override readonly name: string = 'PrebuiltCodeMissingError';
  override readonly code = 'PREBUILT_CODE_MISSING';
  constructor(
    /** The function entry (`renew`, `respond-url`, …). */
    readonly entry: FunctionEntryName,
    /** The directory that should hold its `index.mjs`. */
    readonly directory: string,
  ) {
    super(
      `the prebuilt code of the ${entry} function is missing (${join(directory, FUNCTION_FILE)}): run \`npm run build\` first`,
    );
  }
}

/**
 * The directory of a function's prebuilt code.
 * @param locate where the build puts it (tests point it elsewhere)
 * @throws PrebuiltCodeMissingError when it holds no `index.mjs`
 */
export function prebuiltCodeDir(
  entry: FunctionEntryName,
  locate: (entry: FunctionEntryName) => string = functionAssetDir,
): string {
  const directory = locate(entry);
  if (!existsSync(join(directory, FUNCTION_FILE))) throw new PrebuiltCodeMissingError(entry, directory);
  return directory;
}

/**
 * The function's prebuilt code as a Lambda asset, with `files` (file name → content) beside it.
 * `scope` and `id` name the staged directory, unique in the app.
 * @throws PrebuiltCodeMissingError when `npm run build` has not run
 */
export function functionCode(
  scope: IConstruct,
  id: string,
  entry: FunctionEntryName,
  files: Readonly<Record<string, string>> = {},
): lambda.Code {
  const directory = prebuiltCodeDir(entry);
  if (Object.keys(files).length === 0) return lambda.Code.fromAsset(directory);
  return lambda.Code.fromAsset(stageWithFiles(scope, id, directory, files));
}

/** A fresh copy of `directory` with `files` added, in the Stage's output directory. */
function stageWithFiles(
  scope: IConstruct,
  id: string,
  directory: string,
  files: Readonly<Record<string, string>>,
): string {
  const outdir = Stage.of(scope)?.outdir;
  if (!outdir) throw new Error('files beside function code need a Stage (an App) with an output directory');
  const prebuilt = new Set(readdirSync(directory));
  for (const name of Object.keys(files)) {
    if (basename(name) !== name || name === '.' || name === '..')
      throw new Error(`file beside the function code ${JSON.stringify(name)}: a plain file name`);
    if (prebuilt.has(name))
      throw new Error(`file beside the function code ${JSON.stringify(name)}: would replace a prebuilt file`);
  }
  const staged = join(outdir, STAGED_CODE_DIR, `${Names.uniqueId(scope)}-${id}`);
  // Emptied first: a file dropped since the last synth into the same outdir must not linger.
  rmSync(staged, { recursive: true, force: true });
  mkdirSync(staged, { recursive: true });
  cpSync(directory, staged, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(staged, name), content);
  return staged;
}
