import { createConnection } from 'node:net';

/**
 * One command to HAProxy's runtime API, one connection (the socket's non-interactive mode closes
 * after the answer): a unix socket path, or `host:port` for a `stats socket ipv4@…` on another host
 * (a load balancer in front of this node). Resolves with the answer; rejects with `fail(detail)`
 * when the socket cannot be reached or does not answer within `timeoutMs`.
 */
export function haproxyCommand(
  socket: string,
  text: string,
  timeoutMs: number,
  fail: (detail: string, cause?: unknown) => Error,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const tcp = /^(.+):(\d+)$/.exec(socket);
    const connection = socket.startsWith('/')
      ? createConnection(socket)
      : createConnection({ host: tcp?.[1] ?? socket, port: Number(tcp?.[2] ?? 0) });
    let answer = '';
    const timer = setTimeout(() => {
      connection.destroy();
      reject(fail(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    connection.setEncoding('utf8');
    connection.on('data', (chunk: string) => {
      answer += chunk;
    });
    connection.on('error', (error) => {
      clearTimeout(timer);
      reject(fail(error.message, error));
    });
    connection.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    connection.write(text);
  });
}

/** An answer on one line, for messages. */
export function oneLine(text: string): string {
  return text.trim().replaceAll('\n', ' | ').slice(0, 300) || 'no answer';
}

/**
 * `show stat` as rows keyed by its CSV header (`pxname`, `svname`, `scur`, `status`…): one row per
 * frontend, server and backend.
 */
export function parseShowStat(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  return lines
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const cells = line.split(',');
      return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? '']));
    });
}
