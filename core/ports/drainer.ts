/**
 * Takes this node out of its load balancer's rotation around a disruptive reload (a server whose
 * reload is a restart drops its connections and refuses new ones until it is back), and puts it
 * back afterwards: HAProxy's runtime API (`set server B/S state drain|ready`), or a command pair.
 *
 * - Errors: throws {@link DrainFailedError} when the load balancer cannot be told; the agent then
 *   does not reload (a node is never restarted while still in rotation).
 * - Idempotency: draining a drained node and readying a ready one are harmless.
 */
export interface Drainer {
  /** One line naming the action for logs and status; never secrets. */
  readonly description: string;
  drain(): Promise<void>;
  /**
   * The connections the load balancer still has open to this node, or null when it cannot say (a
   * command pair): the agent then waits the configured settle time instead.
   */
  activeConnections(): Promise<number | null>;
  ready(): Promise<void>;
}
