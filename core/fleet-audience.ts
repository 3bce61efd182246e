/**
 * Who hears about a certificate's new revision. Its event carries a `groups` message attribute and
 * every node's subscription filters on it: a certificate's node groups, plus `dmz:<id>` for each
 * DMZ instance it is pushed to, so that a DMZ instance's pushers get the event even when the
 * certificate is outside their own groups (without it they learnt of it only at their next
 * reconcile, and the DMZ instance lagged that long). And who should hold it: what `acme-ha status`
 * and the fleet-watch function expect to hear from.
 */
import type { AcmeHaConfig } from './config/certificate-config.ts';
import { DMZ_NODE_PREFIX } from './dmz/push-to-dmz.ts';

/** The `groups` attribute of a certificate's revision event. */
export function eventAudience(certificate: {
  readonly groups: readonly string[];
  readonly dmz: readonly string[];
}): string[] {
  return [...certificate.groups, ...certificate.dmz.map((d) => `${DMZ_NODE_PREFIX}${d}`)];
}

/** What a node's subscription lets through: its groups, and `dmz:<id>` for each DMZ instance it pushes to. */
export function nodeAudience(config: AcmeHaConfig, nodeId: string): string[] {
  const groups = config.nodes.find((n) => n.id === nodeId)?.groups ?? [];
  const pushes = config.dmz
    .filter((d) => d.pushedBy.includes(nodeId))
    .map((d) => `${DMZ_NODE_PREFIX}${d.id}`);
  return [...groups, ...pushes];
}

/**
 * Who should hold a certificate, by the configuration: every declared node in one of its groups,
 * and `dmz:<id>` for each DMZ instance it is pushed to, in that order. Null when the configuration
 * declares no nodes at all: then nobody is known to be missing, and only the nodes that reported
 * can be listed.
 */
export function certificateHolders(config: AcmeHaConfig, certificateId: string): string[] | null {
  const certificate = config.certificates.find((c) => c.id === certificateId);
  if (!certificate || config.nodes.length === 0) return null;
  const groups = new Set(certificate.groups);
  const nodes = config.nodes.filter((n) => n.groups.some((g) => groups.has(g))).map((n) => n.id);
  return [...nodes, ...certificate.dmz.map((d) => `${DMZ_NODE_PREFIX}${d}`)];
}
