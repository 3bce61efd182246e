/**
 * Orders one certificate from the embedded stack's Pebble over HTTP-01 through the production ACME
 * adapter, with tokens in the stack's DynamoDB table served by the stack's responder.
 */
import { AcmeClientIssuer } from '../../adapters/acme/acme-client-issuer.ts';
import { createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../../adapters/aws/dynamo-challenge-store.ts';
import { InMemoryAccountStore } from '../../adapters/memory/in-memory-account-store.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { LocalStack } from '../../local/stack.ts';

export interface OrderOptions {
  readonly domains: readonly [string, ...string[]];
  readonly externalAccountBinding?: { readonly kid: string; readonly hmacKey: string };
}

export interface OrderResult {
  /** PEM: leaf first, then the intermediate. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** acme-client's log lines (badNonce retries show up here). */
  readonly log: readonly string[];
}

/** Runs one complete order on a new account. @throws the adapter's typed IssuanceErrors */
export async function orderCertificate(stack: LocalStack, options: OrderOptions): Promise<OrderResult> {
  const pebble = stack.pebble;
  if (!pebble) throw new Error('the stack runs without Pebble');
  const lines: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${message} ${String(fields?.message ?? '')}`);
  const log: Logger = { debug: record, info: record, warn: record, error: record };
  const clients = createAwsClients(stack.clientConfigs);
  try {
    const issuer = new AcmeClientIssuer({
      challenges: new DynamoChallengeStore(clients.documents, stack.resources.tableName, systemClock),
      accounts: new InMemoryAccountStore(),
      log,
      extraCaPem: pebble.caPem,
      pollIntervalMs: 100,
    });
    const issued = await issuer.issue({
      certificateId: 'test',
      directory: pebble.directoryUrl,
      domains: options.domains,
      keyType: 'ec-p256',
      eab: options.externalAccountBinding,
    });
    return { certificatePem: issued.chainPem, privateKeyPem: issued.privateKeyPem, log: lines };
  } finally {
    clients.destroy();
  }
}
