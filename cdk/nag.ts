/**
 * Writing cdk-nag acknowledgements for object-prefix grants: AwsSolutions-IAM5 names the finding
 * after the resource as CloudFormation sees it (`<LogicalId.Arn>/prefix/*`), so the id is derived
 * from the bucket rather than copied from a report (it would break on the first rename).
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** How AwsSolutions-IAM5 spells `bucket.arnForObjects(pattern)`. */
export function nagObjectResource(bucket: s3.IBucket, pattern: string): string {
  const cfn = bucket.node.defaultChild;
  const arn =
    cfn instanceof CfnElement ? `<${Stack.of(cfn).resolve(cfn.logicalId)}.Arn>` : String(bucket.bucketArn);
  return `Resource::${arn}/${pattern}`;
}

/** Acknowledges AwsSolutions-IAM5 for object-prefix grants on `scope` (normally a role). */
export function acknowledgeObjectPrefixes(
  scope: IConstruct,
  bucket: s3.IBucket,
  patterns: readonly string[],
  reason: string,
): void {
  Validations.of(scope).acknowledge(
    ...patterns.map((pattern) => ({
      id: `AwsSolutions-IAM5[${nagObjectResource(bucket, pattern)}]`,
      reason,
    })),
  );
}
