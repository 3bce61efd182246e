/**
 * Who hears about a certificate's new revision. Its event carries a `groups` message attribute and
 * every node's subscription filters on it: a certificate's node groups, `node:<id>` for each node it
 * names, and `dmz:<id>` for each DMZ instance it is pushed to, so that a DMZ instance's pushers get
 * the event even when the certificate is outside their own groups (without it they learnt of it
 * only at their next reconcile, and the DMZ instance lagged that long). And who should hold it: what
 * `acme-ha status` and the fleet-watch function expect to hear from.
 */
import { type AcmeHaConfig, installingNodes } from './config/certificate-config.ts';
import { DMZ_NODE_PREFIX } from './dmz/push-to-dmz.ts';

/** The audience entry of a node a certificate names (its groups are entries as they are). */
const NAMED_NODE_PREFIX = 'node:';

/** The `groups` attribute of a certificate's revision event. */
export function eventAudience(certificate: {
  readonly groups: readonly string[];
  readonly nodes: readonly string[];
  readonly dmz: readonly string[];
}): string[] {
  return [
    ...certificate.groups,
    ...certificate.nodes.map((n) => `${NAMED_NODE_PREFIX}${n}`),
    ...certificate.dmz.map((d) => `${DMZ_NODE_PREFIX}${d}`),
  ];
}

/**
 * What a node's subscription lets through: its groups, its own name, and `dmz:<id>` for each DMZ
 * instance it pushes to.
 */
export function nodeAudience(config: AcmeHaConfig, nodeId: string): string[] {
  const groups = config.nodes.find((n) => n.id === nodeId)?.groups ?? [];
  const pushes = config.dmz
    .filter((d) => d.pushedBy.includes(nodeId))
    .map((d) => `${DMZ_NODE_PREFIX}${d.id}`);
  return [...groups, `${NAMED_NODE_PREFIX}${nodeId}`, ...pushes];
}

/**
 * Who should hold a certificate, by the configuration: every declared node that installs it, and
 * `dmz:<id>` for each DMZ instance it is pushed to, in that order. Null when the configuration
 * declares no nodes at all: then nobody is known to be missing, and only the nodes that reported
 * can be listed.
 */
export function certificateHolders(config: AcmeHaConfig, certificateId: string): string[] | null {
  const certificate = config.certificates.find((c) => c.id === certificateId);
  if (!certificate || config.nodes.length === 0) return null;
  return [...installingNodes(config, certificate), ...certificate.dmz.map((d) => `${DMZ_NODE_PREFIX}${d}`)];
}
