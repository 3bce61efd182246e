/**
 * A DMZ receiver's answer to a push, read by the pusher: the push result it counts and retries by,
 * and the result recorded in the DMZ instance's status item.
 */
import type { DmzAnswer } from '../ports/dmz-receiver.ts';
import type { NodeResult } from '../ports/node-status-store.ts';

/**
 * - `pushed`: the receiver installed (or already had) the revision; `current`: it had it or newer,
 *   nothing sent; `nothing`: no revision to push yet;
 * - `refused`: the receiver judged the revision (rejected, rolled back): not retried until the next
 *   revision or reconcile; `failed`: it answered with another failure; `unreachable`: no answer.
 *   Both of the last are retried with backoff.
 */
/**
 * `busy`: another DMZ instance of the certificate was installing for longer than a push may take
 * (each holds the certificate's DMZ slot while it does); tried again with backoff.
 */
export type DmzPushResult = 'pushed' | 'current' | 'nothing' | 'refused' | 'failed' | 'unreachable' | 'busy';

/** What a pusher makes of the receiver's answer. */
export function pushResultOf(answer: DmzAnswer): DmzPushResult {
  switch (answer.result) {
    case 'applied':
    case 'unchanged':
    case 'up-to-date':
      return 'pushed';
    case 'obsolete':
      return 'current';
    case 'rejected':
    case 'rolled-back':
    case 'halted':
      return 'refused';
    default:
      return 'failed';
  }
}

/** The DMZ instance's status record, as the receiver's answer says it. */
export function nodeResultOf(answer: DmzAnswer): NodeResult {
  switch (answer.result) {
    case 'applied':
      return 'applied';
    case 'unchanged':
    case 'up-to-date':
    case 'obsolete':
      return 'unchanged';
    case 'rejected':
      return 'rejected';
    case 'rolled-back':
      return 'rolled-back';
    case 'halted':
      return 'halted';
    default:
      return 'failed';
  }
}
