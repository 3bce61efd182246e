/**
 * `acme-ha/cdk`: the constructs, for any CDK app. aws-cdk-lib and constructs are peer dependencies;
 * the Lambda code ships prebuilt in the package (no bundler or Docker at synth).
 */

export { AcmeHa, type AcmeHaProps } from './acme-ha.ts';
export { AcmeHaStack, type AcmeHaStackProps } from './acme-ha-stack.ts';
// The construct for any CDK app, and the types its props and properties name.
export type { FleetNode } from './fleet.ts';
export { Fleet, type FleetProps, type RolesAnywhereProps } from './fleet.ts';
export { FleetWatch, type FleetWatchProps } from './fleet-watch.ts';
export { PrebuiltCodeMissingError } from './function-code.ts';
export { Monitoring, type MonitoringProps } from './monitoring.ts';
export { PropsError } from './props-error.ts';
export { Renewer, type RenewerProps } from './renewer.ts';
export type { AlbResponderMode, CloudFrontResponderMode, UrlResponderMode } from './responder.ts';
export { Responder, type ResponderMode, type ResponderProps } from './responder.ts';
export { Store, type StoreProps } from './store.ts';
