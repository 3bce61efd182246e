/**
 * The CertificateIssuer contract (test/contract/certificate-issuer.contract.ts) against
 * AcmeClientIssuer on the embedded stack's Pebble: one real order over HTTP-01, its tokens in
 * DynamoDB, answered by the stack's responder. Pebble 2.4.0 has no renewalInfo endpoint.
 */
import { afterAll } from 'vitest';
import { AcmeClientIssuer } from '../../../adapters/acme/acme-client-issuer.ts';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../../../adapters/aws/dynamo-challenge-store.ts';
import { InMemoryAccountStore } from '../../../adapters/memory/in-memory-account-store.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { describeCertificateIssuerContract } from '../../contract/certificate-issuer.contract.ts';
import { useLocalStack } from '../../support/local-stack.ts';

const stack = useLocalStack({ prefix: 'contracts-acme' });
let clients: AwsClients | undefined;

afterAll(() => {
  clients?.destroy();
});

describeCertificateIssuerContract('AcmeClientIssuer on Pebble', () => {
  const { pebble, resources, clientConfigs } = stack();
  if (!pebble) throw new Error('the stack runs without Pebble');
  clients = createAwsClients(clientConfigs);
  return {
    issuer: new AcmeClientIssuer({
      challenges: new DynamoChallengeStore(clients.documents, resources.tableName, systemClock),
      accounts: new InMemoryAccountStore(),
      log: silentLogger,
      extraCaPem: pebble.caPem,
      pollIntervalMs: 100,
    }),
    directory: pebble.directoryUrl,
  };
});
