/**
 * TXT records at a DNS provider (Route 53 in AWS), for DNS-01 challenges. Implementations find the
 * hosted zone of a name themselves.
 */
export interface DnsTxtRecords {
  /**
   * Sets the TXT values of `name` (replacing any), and resolves once the provider reports the change
   * live on its name servers. Idempotent.
   * @throws DnsUpdateError when no zone holds the name or the provider refuses
   */
  set(name: string, values: readonly string[]): Promise<void>;
  /** Removes the TXT record `name` holding exactly `values`; a record already gone is not an error. */
  remove(name: string, values: readonly string[]): Promise<void>;
}
