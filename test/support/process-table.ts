/**
 * What a process holds, read from /proc (Linux): its listening sockets and its child processes.
 * Tests use it to prove that stopping the embedded stack leaves nothing behind.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface ListeningSocket {
  readonly protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  readonly port: number;
  readonly inode: string;
}

const TCP_LISTEN = '0A';

/** Sockets in LISTEN state (TCP) or bound (UDP) on the whole machine. */
export async function listeningSockets(): Promise<ListeningSocket[]> {
  const sockets: ListeningSocket[] = [];
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    const table = await readFile(`/proc/net/${protocol}`, 'utf8').catch(() => '');
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state] = fields;
      const inode = fields[9];
      if (!local || !state || !inode) continue;
      if (protocol.startsWith('tcp') && state !== TCP_LISTEN) continue;
      sockets.push({ protocol, port: Number.parseInt(local.split(':')[1] ?? '0', 16), inode });
    }
  }
  return sockets;
}

/** Listening sockets whose file descriptors belong to `pid`. */
export async function listeningSocketsOf(pid: number = process.pid): Promise<ListeningSocket[]> {
  const inodes = new Set<string>();
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  return (await listeningSockets()).filter((s) => inodes.has(s.inode));
}

/** Process ids whose parent is `pid`. */
export async function childProcesses(pid: number = process.pid): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name may hold spaces and parentheses; the fields after the last ')' do not.
    const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === pid) children.push(Number(entry));
  }
  return children;
}

/** Whether a process with this id exists (zombies included). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
