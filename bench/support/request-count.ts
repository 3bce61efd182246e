/**
 * BENCHMARK HELPER: counts the requests an AWS SDK client sends, by command, in the client itself (a
 * middleware; no proxy whose CPU would count as the caller's). Retries are counted as attempts.
 */

/** Requests by command name (`GetItemCommand`, `GetCommand`, `PutObjectCommand`, …). */
export type RequestCounts = Readonly<Record<string, number>>;

type Middleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { readonly commandName?: string },
) => (args: unknown) => Promise<unknown>;

/** Starts counting `client`'s requests; @returns the counts so far. */
export function countRequests(client: {
  middlewareStack: { add: (...args: never[]) => void };
}): () => RequestCounts {
  const counts: Record<string, number> = {};
  // The SDK clients' middleware types do not unify across services: one cast, here.
  const add = client.middlewareStack.add as (
    middleware: Middleware,
    options: { step: 'finalizeRequest'; name: string },
  ) => void;
  add(
    (next, context) => (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'benchRequestCount' },
  );
  return () => ({ ...counts });
}

export function total(counts: RequestCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** `a` + `b`, command by command. */
export function plus(a: RequestCounts, b: RequestCounts): RequestCounts {
  const sum: Record<string, number> = { ...a };
  for (const [name, n] of Object.entries(b)) sum[name] = (sum[name] ?? 0) + n;
  return sum;
}

/** `after` − `before`, command by command. */
export function since(before: RequestCounts, after: RequestCounts): RequestCounts {
  return Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)]));
}

/** DynamoDB requests split into reads and writes (by command; a unit per request, items under 1 KB). */
export function readsAndWrites(counts: RequestCounts): { readonly reads: number; readonly writes: number } {
  let reads = 0;
  let writes = 0;
  for (const [name, n] of Object.entries(counts))
    if (/^(Get|GetItem|BatchGet|BatchGetItem|Query|Scan)Command$/.test(name)) reads += n;
    else writes += n;
  return { reads, writes };
}

/** Each count divided by `by`. */
export function per(counts: RequestCounts, by: number): RequestCounts {
  return Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, n / by]));
}
