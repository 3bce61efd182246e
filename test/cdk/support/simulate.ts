/**
 * Asks an IAM policy simulator (@cloud-copilot/iam-simulate: AWS's evaluation logic for identity
 * and resource policies and every condition operator) whether a role of the synthesized template
 * may make a request. There is no local IAM to ask, so this is the closest thing to AWS's answer
 * we can get offline; a deployed account would be the real check.
 *
 * CloudFormation intrinsics in policies are resolved to the ARNs and names the resources would
 * get (account 123456789012, eu-west-1, physical names from their properties or logical ids).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';
import { TEST_ENV } from './synth.ts';

const ACCOUNT = TEST_ENV.account ?? '123456789012';
const REGION = TEST_ENV.region ?? 'eu-west-1';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface SimulatedRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface IamModel {
  /** ARN of a resource by its logical id without the hash (`Fleetweb1queue`, `StoreKeystores`…). */
  arnOf(logicalIdPrefix: string): string;
  /** The decision for a request by a role (logical id without the hash). */
  decide(rolePrefix: string, request: SimulatedRequest): Promise<Decision>;
}

/** Builds the model of one synthesized template. */
export function iamModel(template: Template): IamModel {
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  const logicalId = (prefix: string): string => {
    // CDK logical ids are the construct path plus an 8-digit hash.
    const ids = Object.keys(resources).filter((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
    if (ids.length !== 1) throw new Error(`${ids.length} resources start with ${prefix}: ${ids.join(', ')}`);
    return ids[0] as string;
  };
  const resolve = (value: unknown): unknown => resolveIntrinsics(value, resources);
  return {
    arnOf: (prefix) => arnOf(logicalId(prefix), resources),
    decide: async (rolePrefix, request) => {
      const role = logicalId(rolePrefix);
      const identityPolicies = Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && attachedTo(r, role))
        .map(([id, r]) => ({ name: id, policy: resolve(r.Properties?.PolicyDocument) }));
      const resourcePolicy = resourcePolicyFor(request.resource, resources, resolve);
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:iam::${ACCOUNT}:role/${role}`,
            action: request.action,
            resource: { resource: request.resource, accountId: ACCOUNT },
            contextVariables: { 'aws:SecureTransport': 'true', ...request.context },
          },
          identityPolicies,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          ...(resourcePolicy ? { resourcePolicy } : {}),
        } as Parameters<typeof runSimulation>[0],
        {},
      );
      if (result.resultType === 'error')
        throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
      return result.overallResult as Decision;
    },
  };
}

function attachedTo(policy: CfnResource, role: string): boolean {
  const roles = (policy.Properties?.Roles ?? []) as { Ref?: string }[];
  return roles.some((r) => r.Ref === role);
}

/**
 * The resource policy AWS would evaluate with the request: the key policy of a KMS key (it must
 * allow, here by delegating to IAM through the account root), the bucket, queue or topic policy.
 */
function resourcePolicyFor(
  arn: string,
  resources: Record<string, CfnResource>,
  resolve: (value: unknown) => unknown,
): unknown {
  const entries = Object.entries(resources);
  const owner = entries.find(([id, r]) => r.Type !== 'AWS::IAM::Role' && safeArn(id, resources) === arn);
  if (arn.startsWith('arn:aws:kms:')) return owner ? resolve(owner[1].Properties?.KeyPolicy) : undefined;
  const bucket = arn.startsWith('arn:aws:s3:::')
    ? arn.slice('arn:aws:s3:::'.length).split('/')[0]
    : undefined;
  const attached = (policy: CfnResource): boolean => {
    const p = policy.Properties ?? {};
    if (policy.Type === 'AWS::S3::BucketPolicy') return bucket !== undefined && resolve(p.Bucket) === bucket;
    if (policy.Type === 'AWS::SQS::QueuePolicy' || policy.Type === 'AWS::SNS::TopicPolicy') {
      const targets = (resolve(p.Queues ?? p.Topics) ?? []) as string[];
      return owner !== undefined && targets.some((t) => t === arn || t === queueUrl(owner[0], owner[1]));
    }
    return false;
  };
  const policy = entries.map(([, r]) => r).find(attached);
  return policy ? resolve(policy.Properties?.PolicyDocument) : undefined;
}

/** An ARN, or undefined for resource types without a rule here. */
function safeArn(id: string, resources: Record<string, CfnResource>): string | undefined {
  try {
    return arnOf(id, resources);
  } catch {
    return undefined;
  }
}

function queueUrl(id: string, resource: CfnResource): string {
  return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physicalName(id, resource)}`;
}

function physicalName(id: string, resource: CfnResource): string {
  const p = resource.Properties ?? {};
  const name = p.QueueName ?? p.TableName ?? p.TopicName ?? p.BucketName ?? p.LogGroupName ?? p.FunctionName;
  return typeof name === 'string' ? name : id.toLowerCase();
}

function arnOf(id: string, resources: Record<string, CfnResource>): string {
  const resource = resources[id];
  if (!resource) throw new Error(`no resource ${id}`);
  const name = physicalName(id, resource);
  switch (resource.Type) {
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role/${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
    default:
      throw new Error(`no ARN rule for ${resource.Type} (${id})`);
  }
}

const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

function resolveIntrinsics(value: unknown, resources: Record<string, CfnResource>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resources));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const ref = String(object.Ref);
    const pseudo = PSEUDO[ref];
    if (pseudo) return pseudo;
    const resource = resources[ref];
    if (!resource) throw new Error(`unresolvable Ref ${ref}`);
    if (resource.Type === 'AWS::SQS::Queue') return queueUrl(ref, resource);
    if (resource.Type === 'AWS::SNS::Topic') return arnOf(ref, resources);
    return physicalName(ref, resource);
  }
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    if (attribute !== 'Arn') throw new Error(`unresolvable Fn::GetAtt ${id}.${attribute}`);
    return arnOf(id, resources);
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolveIntrinsics(p, resources))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolveIntrinsics(v, resources)]));
}
