/**
 * The DNS stub Pebble's validation authority resolves identifiers with (`pebble -dnsserver`): every
 * name has the A record 127.0.0.1 and no AAAA record, so HTTP-01 requests for any test domain reach
 * our 127.0.0.1-only responder. An AAAA answer of ::1 would send them to a port nobody listens on.
 */
import { createUDPServer, Packet } from 'dns2';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK } from './net.ts';

export interface DnsStub {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as `pebble -dnsserver` takes it. */
  readonly address: string;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the stub on a free UDP port of 127.0.0.1.
 * @throws LocalStackError when the socket cannot be bound
 */
export async function startDnsStub(): Promise<DnsStub> {
  const server = createUDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    for (const question of request.questions) {
      // Other types (AAAA, CAA, TXT…) get an empty NOERROR answer: "exists, no such record".
      if (question.type === Packet.TYPE.A) {
        response.answers.push(Packet.createResourceFromQuestion(question, { ttl: 1, address: LOOPBACK }));
      }
    }
    // A lost reply only makes the resolver retry; nothing to report.
    send(response).catch(() => {});
  });
  // Malformed packets must not crash the process; the stub has nobody to report them to.
  server.on('requestError', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.bind(0, LOOPBACK, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new LocalStackError('dns', `cannot bind a UDP port: ${(error as Error).message}`, { cause: error });
  }
  const { port } = server.address();
  let stopping: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port,
    address: `${LOOPBACK}:${port}`,
    stop: () => {
      stopping ??= new Promise((resolve) => server.close(() => resolve()));
      return stopping;
    },
  };
}
