/**
 * From CDK context (cdk.json or `-c key=value`) to a synthesizable app: the configuration file is
 * read and validated with the same parseConfig as everywhere else, deployment settings are
 * validated with every problem listed, and cdk-nag's AwsSolutions pack is registered.
 * cdk/app.ts is the thin entry around this; the tests call it directly.
 */
import { App, type AppProps, Duration, type Environment, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { formatPath, parseConfig } from '../core/config/parse-config.ts';
import * as z from '../core/config/zod.ts';
import { AcmeHaStack, type AcmeHaStackProps } from './acme-ha-stack.ts';
import { PropsError } from './props-error.ts';
import type { ResponderMode } from './responder.ts';

/** `-c` values arrive as strings, cdk.json values as JSON: accept both. */
const flag = z.union([
  z.boolean(),
  z.pipe(
    z.enum(['true', 'false']),
    z.transform((v: 'true' | 'false') => v === 'true'),
  ),
]);
const count = z.union([z.number(), z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))]);
const list = z.union([
  z.array(z.string()),
  z.pipe(
    z.string(),
    z.transform((v: string) => v.split(',').filter(Boolean)),
  ),
]);
const text = z.optional(z.string());

export const contextSchema = z.strictObject({
  /** The certificate configuration file. */
  config: z._default(z.string().check(z.minLength(1)), 'examples/acme-ha.yaml'),
  stackName: z._default(z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)), 'AcmeHa'),
  prefix: text,
  responder: z._default(z.enum(['url', 'alb', 'cloudfront']), 'url'),
  albListenerArn: text,
  albPriority: z.optional(count),
  albHostHeaders: z.optional(list),
  cloudfrontOriginDomainName: text,
  /** Path of the PEM file of the CA that issues node certificates (IAM Roles Anywhere). */
  rolesAnywhereCaPem: text,
  ec2InstanceProfiles: z.optional(flag),
  alarmEmail: text,
  /** An EventBridge expression: `cron(17 5,17 * * ? *)` or `rate(12 hours)`. */
  renewalSchedule: z.optional(
    z.string().check(z.regex(/^(cron|rate)\(.+\)$/, 'an EventBridge expression like cron(17 5,17 * * ? *)')),
  ),
  expiryAlarmDays: z.optional(count),
  lagGraceMinutes: z.optional(count),
  /** A node silent this long alarms. */
  silentAfterMinutes: z.optional(count),
  /** An EventBridge expression for the fleet-watch runs: `rate(5 minutes)`. */
  fleetWatchSchedule: z.optional(
    z.string().check(z.regex(/^(cron|rate)\(.+\)$/, 'an EventBridge expression like rate(5 minutes)')),
  ),
});
export type AppContext = z.infer<typeof contextSchema>;

export interface BuildAppOptions {
  /** Context values, as `cdk.json` and `-c` give them. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Reads a file named in the context (the config, the CA PEM). */
  readonly readFile: (path: string) => string;
  /** @default - environment-agnostic */
  readonly env?: Environment;
  /** Passed to the App (outdir, extra context). */
  readonly appProps?: AppProps;
}

/** Names the context keys of the acme-ha app, for `cdk synth -c key=value`. */
const CONTEXT_KEYS = Object.keys(contextSchema.shape);

/**
 * Reads the context of `app` (keys of contextSchema only, so CDK's own flags pass by).
 * @throws PropsError listing every problem
 */
export function readContext(get: (key: string) => unknown): AppContext {
  const raw: Record<string, unknown> = Object.fromEntries(
    CONTEXT_KEYS.map((k) => [k, get(k)]).filter(([, v]) => v !== undefined),
  );
  const result = contextSchema.safeParse(raw);
  // Combinations are checked on the raw values too, so they are reported even when a field is bad.
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`)),
    ...combinationProblems(raw),
  ];
  if (problems.length > 0 || !result.success) throw new PropsError('CDK context', problems);
  return result.data;
}

/** Settings that only make sense together. */
function combinationProblems(raw: Readonly<Record<string, unknown>>): string[] {
  const responder = raw.responder ?? 'url';
  const problems: string[] = [];
  if (responder === 'alb' && raw.albListenerArn === undefined)
    problems.push('albListenerArn: required with responder=alb');
  if (responder !== 'alb' && (raw.albListenerArn !== undefined || raw.albPriority !== undefined))
    problems.push('albListenerArn/albPriority: only used with responder=alb');
  if (responder !== 'cloudfront' && raw.cloudfrontOriginDomainName !== undefined)
    problems.push('cloudfrontOriginDomainName: only used with responder=cloudfront');
  return problems;
}

/** Stack props from validated context; reads the configuration file and the CA PEM. */
export function stackPropsFromContext(
  context: AppContext,
  readFile: (path: string) => string,
): AcmeHaStackProps {
  const config = parseConfig(readFile(context.config), context.config);
  let responder: ResponderMode = { mode: 'url' };
  if (context.responder === 'alb' && context.albListenerArn) {
    responder = {
      mode: 'alb',
      listenerArn: context.albListenerArn,
      ...(context.albPriority !== undefined ? { priority: context.albPriority } : {}),
      ...(context.albHostHeaders ? { hostHeaders: context.albHostHeaders } : {}),
    };
  } else if (context.responder === 'cloudfront') {
    responder = {
      mode: 'cloudfront',
      ...(context.cloudfrontOriginDomainName ? { originDomainName: context.cloudfrontOriginDomainName } : {}),
    };
  }
  return {
    config,
    responder,
    ...(context.prefix ? { prefix: context.prefix } : {}),
    ...(context.rolesAnywhereCaPem
      ? { rolesAnywhere: { caCertificatePem: readFile(context.rolesAnywhereCaPem) } }
      : {}),
    ...(context.ec2InstanceProfiles ? { ec2InstanceProfiles: true } : {}),
    ...(context.alarmEmail ? { alarmEmail: context.alarmEmail } : {}),
    ...(context.renewalSchedule
      ? { renewalSchedule: events.Schedule.expression(context.renewalSchedule) }
      : {}),
    ...(context.expiryAlarmDays !== undefined ? { expiryAlarmDays: context.expiryAlarmDays } : {}),
    ...(context.lagGraceMinutes !== undefined
      ? { lagGracePeriod: Duration.minutes(context.lagGraceMinutes) }
      : {}),
    ...(context.silentAfterMinutes !== undefined
      ? { silentAfter: Duration.minutes(context.silentAfterMinutes) }
      : {}),
    ...(context.fleetWatchSchedule
      ? { fleetWatchSchedule: events.Schedule.expression(context.fleetWatchSchedule) }
      : {}),
  };
}

/** The app: one AcmeHaStack (plus the us-east-1 edge stack in cloudfront mode), checked by cdk-nag. */
export function buildApp(options: BuildAppOptions): { app: App; stack: AcmeHaStack } {
  const app = new App({
    ...options.appProps,
    context: { ...options.appProps?.context, ...options.context },
  });
  const context = readContext((key) => app.node.tryGetContext(key));
  const props = stackPropsFromContext(context, options.readFile);
  const stack = new AcmeHaStack(app, context.stackName, {
    ...props,
    ...(options.env ? { env: options.env } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
