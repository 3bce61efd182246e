/**
 * Every IAM statement of synthesized templates, for rules that must hold for all of them (no `*`
 * actions; no `*` resource where the action supports a narrower one).
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface FoundStatement {
  readonly template: string;
  readonly resource: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
  readonly sid?: string;
}

interface RawStatement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: unknown;
  readonly Sid?: string;
}

interface PolicyDocument {
  readonly Statement?: RawStatement[];
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * Statements of identity policies: AWS::IAM::Policy, AWS::IAM::ManagedPolicy and inline policies of
 * AWS::IAM::Role. Trust policies and resource policies (KMS key, bucket, queue, topic) are not
 * identity grants and are checked by their own assertions.
 */
export function identityStatements(templates: Readonly<Record<string, Template>>): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [name, template] of Object.entries(templates)) {
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties?: Record<string, unknown> }
    >;
    for (const [id, resource] of Object.entries(resources)) {
      const documents: PolicyDocument[] = [];
      if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
        documents.push(resource.Properties?.PolicyDocument as PolicyDocument);
      if (resource.Type === 'AWS::IAM::Role') {
        for (const inline of asList(resource.Properties?.Policies as { PolicyDocument: PolicyDocument }[]))
          documents.push(inline.PolicyDocument);
      }
      for (const document of documents) {
        for (const statement of document.Statement ?? []) {
          found.push({
            template: name,
            resource: id,
            effect: statement.Effect ?? 'Allow',
            actions: [...asList(statement.Action), ...asList(statement.NotAction).map((a) => `NOT ${a}`)],
            resources: asList(statement.Resource),
            ...(statement.Sid ? { sid: statement.Sid } : {}),
          });
        }
      }
    }
  }
  return found;
}

/** Actions that support no resource-level permission: `Resource: "*"` is the only form. */
export const RESOURCE_STAR_ONLY: ReadonlySet<string> = new Set([
  'cloudwatch:PutMetricData',
  'route53:ListHostedZonesByName',
]);

/** Allow statements that break the rule, described for a readable failure. */
export function wildcardViolations(statements: readonly FoundStatement[]): string[] {
  const violations: string[] = [];
  for (const s of statements) {
    if (s.effect !== 'Allow') continue;
    for (const action of s.actions) {
      if (action.includes('*') || action.startsWith('NOT '))
        violations.push(`${s.template}/${s.resource}: action ${action}`);
    }
    if (s.resources.includes('*') && !s.actions.every((a) => RESOURCE_STAR_ONLY.has(a)))
      violations.push(`${s.template}/${s.resource}: Resource * for ${s.actions.join(', ')}`);
  }
  return violations;
}
