/**
 * The Lambda functions acme-ha ships, and how each is bundled: build/build.ts builds them into
 * dist/functions/<name>/ once, and the constructs deploy those files as they are (no bundler, no
 * Docker at the consumer's synth). No aws-cdk-lib here: the build loads this module too.
 */
import { fileURLToPath } from 'node:url';

/** The Lambda entry points in functions/ (one file each). */
export const FUNCTION_ENTRIES = [
  'renew',
  'respond-alb',
  'respond-url',
  'respond-edge',
  'fleet-watch',
] as const;
export type FunctionEntryName = (typeof FUNCTION_ENTRIES)[number];

/**
 * The esbuild settings of every Lambda bundle: ESM like the sources, Node 24 (the runtime the
 * stack deploys), minified, with a banner that gives bundled CommonJS dependencies (acme-client,
 * axios) the `require` ESM lacks. The AWS SDK is bundled, not taken from the runtime, so the
 * deployed code runs the SDK version the tests ran.
 */
export const ESBUILD_SHARED = {
  target: 'node24',
  format: 'esm',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
} as const;

/** The file name of every built handler in its directory. */
export const FUNCTION_FILE = 'index.mjs';

/**
 * The directory of a built Lambda function. The same relative path from this module in the
 * repository (cdk/function-bundle.ts) and in the package (dist/cdk.mjs, this module bundled in).
 */
export function functionAssetDir(name: FunctionEntryName): string {
  return fileURLToPath(new URL(`../dist/functions/${name}/`, import.meta.url));
}

/** Absolute path of a Lambda entry point's source in functions/, e.g. `functionEntry('renew')`. */
export function functionEntry(name: FunctionEntryName): string {
  return fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));
}
