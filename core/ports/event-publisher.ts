/** Events on the fleet topic; agents subscribe with a filter on `groups`. */
export type CertificateEvent =
  | {
      readonly type: 'certificate.revision_published';
      readonly certificateId: string;
      readonly revision: number;
      readonly groups: readonly string[];
      /** Nodes that install it by name, outside its groups. */
      readonly nodes: readonly string[];
      readonly dmz: readonly string[];
    }
  | {
      readonly type: 'certificate.renewal_failed';
      readonly certificateId: string;
      readonly attempts: number;
      readonly errorCode: string;
      readonly message: string;
      readonly nextAttemptAt: string;
    };

export interface EventPublisher {
  /** Publishes one event; at-least-once (consumers must tolerate duplicates). */
  publish(event: CertificateEvent): Promise<void>;
}
