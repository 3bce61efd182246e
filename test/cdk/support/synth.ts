/**
 * Synthesizes acme-ha the way `cdk synth` does (cdk.json's context, buildApp, cdk-nag registered),
 * into a temporary directory. The functions' code is the prebuilt dist/functions (the test setup
 * builds it); nothing is bundled at synth.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, App as AppClass, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { AcmeHaStack } from '../../../cdk/acme-ha-stack.ts';
import { buildApp } from '../../../cdk/build-app.ts';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The context cdk.json gives the CLI (feature flags, defaults). */
export const CDK_JSON_CONTEXT: Record<string, unknown> = (
  JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

export const TEST_ENV: Environment = { account: '123456789012', region: 'eu-west-1' };

export interface SynthOptions {
  /** `-c` values on top of cdk.json's. */
  readonly context?: Record<string, unknown>;
  /** Files the context names, by path, instead of the disk (e.g. a test configuration). */
  readonly files?: Record<string, string>;
  readonly env?: Environment;
  /** CDK's built-in CloudFormation validation (slow: seconds). @default false */
  readonly cfnValidation?: boolean;
  readonly outdir: string;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: AcmeHaStack;
  readonly template: Template;
}

export function synth(options: SynthOptions): Synthesized {
  const { app, stack } = buildApp({
    context: options.context ?? {},
    readFile: (path) => options.files?.[path] ?? readFileSync(join(ROOT, path), 'utf8'),
    ...(options.env ? { env: options.env } : {}),
    appProps: {
      outdir: options.outdir,
      builtinCloudFormationValidation: options.cfnValidation ?? false,
      context: {
        ...CDK_JSON_CONTEXT,
        'aws:cdk:enable-asset-metadata': true,
      },
    },
  });
  // Template.fromStack synthesizes the whole app, which runs the cdk-nag validation plugin.
  return { app, stack, template: Template.fromStack(stack) };
}

/** The example configuration with its nodes replaced, for tests about config-driven resources. */
export function configWith(yamlNodesAndMore: string): string {
  return `version: 1
certificates:
  - id: files
    domains: [files.example.com]
    keyType: rsa-2048
    groups: [mft]
    dmz: [dmz-1]
    keystores:
      - format: jks
        password: { secretsManager: acme-ha/files-keystore }
  - id: web
    domains: [www.example.com]
    groups: [web]
    eab: { kid: kid-1, hmacKey: { ssmParameter: /acme-ha/eab-hmac } }
    keystores:
      - format: pkcs12
        password: { ssmParameter: /acme-ha/web-keystore }
        keyPassword: { ssmParameter: /acme-ha/web-key }
      - format: pem
  - id: wild
    domains: ['*.apps.example.com', apps.example.com]
    challenge: dns-01
    dns: { delegation: acme.example.net }
    groups: [web]
    fallbacks:
      - directory: https://acme.zerossl.com/v2/DV90
        eab: { kid: kid-2, hmacKey: { secretsManager: acme-ha/zerossl-hmac } }
    keystores:
      - format: pem
${yamlNodesAndMore}`;
}

/** An app for constructs used on their own: no slow CloudFormation validation. */
export function bareApp(): App {
  return new AppClass({ builtinCloudFormationValidation: false });
}
