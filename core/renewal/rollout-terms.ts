/**
 * The rollout terms the renewer publishes with each revision: the certificate configuration's
 * `rollout.maxParallel` (the certificate's own, or the file's), and the nodes that must serve the
 * revision before its rollout is complete.
 */
import { type AcmeHaConfig, type CertificateConfig, installingNodes } from '../config/certificate-config.ts';
import type { RolloutTerms } from '../ports/rollout-store.ts';

/**
 * The configuration's nodes that install the certificate, in one of its groups or by name (the
 * nodes its revision event reaches: core/fleet-audience.ts). Null — every node that joins — when the
 * configuration declares no nodes, or none of them installs it. DMZ instances are not awaited: their
 * pushers report them separately.
 */
export function awaitedNodesOf(config: AcmeHaConfig, cert: CertificateConfig): string[] | null {
  const nodes = installingNodes(config, cert);
  return nodes.length > 0 ? nodes.sort() : null;
}

/** The certificate's own `rollout.maxParallel`, else the configuration's; and its awaited nodes. */
export function rolloutTermsOf(config: AcmeHaConfig, cert: CertificateConfig): RolloutTerms {
  return {
    maxParallel: cert.rollout?.maxParallel ?? config.rollout.maxParallel,
    nodes: awaitedNodesOf(config, cert),
  };
}
