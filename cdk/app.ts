/**
 * `cdk synth` / `cdk deploy` entry (cdk.json runs it with tsx). Problems in the configuration or
 * the context are printed as one list, and missing prebuilt Lambda code (no `npm run build` yet)
 * as one line; both exit non-zero, never with a stack trace.
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../core/errors.ts';
import { buildApp } from './build-app.ts';
import { PrebuiltCodeMissingError } from './function-code.ts';
import { PropsError } from './props-error.ts';

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

try {
  buildApp({
    readFile: (path) => readFileSync(path, 'utf8'),
    // The CLI sets these from the credentials in use; without credentials the stack stays
    // environment-agnostic, which every mode but cloudfront accepts.
    ...(account && region ? { env: { account, region } } : {}),
  });
} catch (error) {
  if (
    error instanceof InvalidInputError ||
    error instanceof PropsError ||
    error instanceof PrebuiltCodeMissingError
  ) {
    console.error(`acme-ha: ${error.message}`);
    process.exit(1);
  }
  if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
    console.error(`acme-ha: ${error.message} (set the config file with -c config=PATH)`);
    process.exit(1);
  }
  throw error;
}
