/**
 * The stack `cdk synth` / `cdk deploy` build from this repository (cdk/app.ts): one AcmeHa and the
 * outputs an operator copies into the agents' configuration. In your own CDK app, use AcmeHa
 * (cdk/acme-ha.ts) in a stack of yours instead.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AcmeHa, type AcmeHaProps } from './acme-ha.ts';
import type { Fleet } from './fleet.ts';
import type { FleetWatch } from './fleet-watch.ts';
import type { Monitoring } from './monitoring.ts';
import type { Renewer } from './renewer.ts';
import type { Responder } from './responder.ts';
import type { Store } from './store.ts';

export interface AcmeHaStackProps extends StackProps, AcmeHaProps {}

export class AcmeHaStack extends Stack {
  /** The construct that holds everything; its id `Default` keeps it out of every logical ID. */
  readonly acmeHa: AcmeHa;
  readonly store: Store;
  readonly fleet: Fleet;
  readonly renewer: Renewer;
  readonly responder: Responder;
  readonly fleetWatch: FleetWatch;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: AcmeHaStackProps) {
    super(scope, id, {
      description: 'acme-ha: ACME certificates for HA clusters (renewer, challenge responder, fleet events)',
      ...props,
    });
    // `Default` is left out of logical IDs (and of construct addresses): the resources keep the IDs
    // they had when the stack built the parts itself, so existing deployments update in place.
    this.acmeHa = new AcmeHa(this, 'Default', props);
    this.store = this.acmeHa.store;
    this.fleet = this.acmeHa.fleet;
    this.renewer = this.acmeHa.renewer;
    this.responder = this.acmeHa.responder;
    this.fleetWatch = this.acmeHa.fleetWatch;
    this.monitoring = this.acmeHa.monitoring;

    new CfnOutput(this, 'TableName', { value: this.acmeHa.table.tableName });
    new CfnOutput(this, 'BucketName', { value: this.acmeHa.bucket.bucketName });
    new CfnOutput(this, 'KeyArn', { value: this.acmeHa.key.keyArn });
    new CfnOutput(this, 'TopicArn', { value: this.acmeHa.topic.topicArn });
  }
}
