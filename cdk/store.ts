/**
 * Where acme-ha keeps its state: one customer-managed KMS key, the keystore bucket and the one
 * DynamoDB table of core/resource-layout.ts (challenges, locks, certificate state, revisions,
 * rollouts, node reports). All three are retained on stack deletion: they hold issued keys,
 * the ACME account and the fleet's history.
 */
import { Aws, Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { KeyAttribute, ResourceNames } from '../core/resource-layout.ts';
import { assertNoProblems } from './props-error.ts';

export interface StoreProps {
  /** Names and key shapes shared with the embedded stack (`resourceNames(prefix)`). */
  readonly names: ResourceNames;
  /**
   * Physical bucket name. S3 names are global, so the layout's `<prefix>-keystores` alone would
   * collide across accounts; the account and region make it unique.
   * @default `${names.bucket}-${account}-${region}`
   */
  readonly bucketName?: string;
  /**
   * Days a replaced or deleted keystore version is kept (rollback, audit). Current versions never expire.
   * @default 90
   */
  readonly noncurrentVersionDays?: number;
  /**
   * What happens to key, bucket and table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Where S3 server access logs of the keystore bucket go.
   * @default - a new bucket (SSE-S3, which S3 log delivery requires), logs expire after 365 days
   */
  readonly accessLogsBucket?: s3.IBucket;
}

/** Alias of the key; the Lambda@Edge responder (another region) names the key through it. */
export function keyAliasName(names: ResourceNames): string {
  return `alias/${names.prefix}`;
}

export class Store extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly keyAlias: string;

  constructor(scope: Construct, id: string, props: StoreProps) {
    super(scope, id);
    const noncurrentDays = props.noncurrentVersionDays ?? 90;
    const problems: string[] = [];
    if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1)
      problems.push(`noncurrentVersionDays must be a whole number of days ≥ 1, got ${noncurrentDays}`);
    if (
      props.bucketName !== undefined &&
      !Token.isUnresolved(props.bucketName) &&
      !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.bucketName)
    )
      problems.push(`bucketName ${JSON.stringify(props.bucketName)} is not a valid S3 bucket name`);
    assertNoProblems('Store', problems);

    // Log delivery by bucket policy, not by ACL (ACLs stay disabled), whatever the app's flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { names } = props;
    this.keyAlias = keyAliasName(names);

    this.key = new kms.Key(this, 'Key', {
      description: `acme-ha (${names.prefix}): keystores, ACME account, table, topic and queues`,
      enableKeyRotation: true,
      alias: this.keyAlias,
      removalPolicy,
    });

    const accessLogs =
      props.accessLogsBucket ??
      new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ expiration: Duration.days(365) }],
        removalPolicy,
      });
    if (!props.accessLogsBucket) {
      Validations.of(accessLogs).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'This bucket is the access-log destination itself; logging it into itself would loop.',
      });
    }

    this.bucket = new s3.Bucket(this, 'Keystores', {
      bucketName: props.bucketName ?? `${names.bucket}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of a KMS call per object: cheaper, same protection.
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'keystores/',
      lifecycleRules: [
        {
          id: 'old-keystore-versions',
          noncurrentVersionExpiration: Duration.days(noncurrentDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });

    const { table } = names;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: table.name,
      partitionKey: keyAttribute(table.partitionKey),
      sortKey: keyAttribute(table.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: table.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }
}

const ATTRIBUTE_TYPES = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
} as const;

function keyAttribute(attribute: KeyAttribute): dynamodb.Attribute {
  return { name: attribute.name, type: ATTRIBUTE_TYPES[attribute.type] };
}
