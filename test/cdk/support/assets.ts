/**
 * Where the cloud assembly keeps a function's code: the template's `Code.S3Key` is `<hash>.zip`,
 * and the stack's asset manifest maps that hash to a directory in the assembly (what `cdk deploy`
 * zips and uploads). Read after synthesis (Template.fromStack or app.synth()).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Stack, Stage } from 'aws-cdk-lib';

interface AssetManifest {
  readonly files?: Record<
    string,
    { readonly source: { readonly path?: string; readonly packaging?: string } }
  >;
}

interface TemplateFile {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
}

/** Logical ids of the stack's Lambda functions, read from the synthesized template. */
export function functionLogicalIds(stack: Stack): string[] {
  const template = readAssembled<TemplateFile>(stack, stack.templateFile);
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id]) => id);
}

/** The absolute directory the assembly deploys as the code of function `logicalId` of `stack`. */
export function functionCodeDir(stack: Stack, logicalId: string): string {
  const template = readAssembled<TemplateFile>(stack, stack.templateFile);
  const code = template.Resources[logicalId]?.Properties?.Code as { S3Key?: unknown } | undefined;
  if (typeof code?.S3Key !== 'string') throw new Error(`${logicalId} has no S3 code in ${stack.stackName}`);
  const hash = code.S3Key.replace(/\.zip$/, '');
  const manifest = readAssembled<AssetManifest>(stack, `${stack.artifactId}.assets.json`);
  const source = manifest.files?.[hash]?.source;
  if (!source?.path || source.packaging !== 'zip')
    throw new Error(`asset ${hash} of ${logicalId} is not a zipped directory in the manifest`);
  return join(outdirOf(stack), source.path);
}

function outdirOf(stack: Stack): string {
  const outdir = Stage.of(stack)?.outdir;
  if (!outdir) throw new Error(`${stack.node.path} is not in an App`);
  return outdir;
}

function readAssembled<T>(stack: Stack, file: string): T {
  return JSON.parse(readFileSync(join(outdirOf(stack), file), 'utf8')) as T;
}
