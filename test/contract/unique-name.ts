import { randomUUID } from 'node:crypto';

/**
 * A name no other test uses: contract suites run against real stores that every test of a file
 * shares (one table, one bucket), so each test keeps to its own certificates, keys and leases.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
