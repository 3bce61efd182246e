import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../../core/errors.ts';

/**
 * Numeric ids of a user or group name, read from /etc/passwd and /etc/group (Node has no
 * getpwnam). Numeric text is taken as is. Directory services (LDAP, sssd) are out of reach this
 * way; configure numeric ids on such nodes.
 * @throws InvalidInputError for an unknown name
 */
export async function resolveAccountId(kind: 'user' | 'group', name: string, root = '/etc'): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name);
  const file = kind === 'user' ? `${root}/passwd` : `${root}/group`;
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [entry, , id] = line.split(':');
    if (entry === name && id !== undefined && /^\d+$/.test(id)) return Number(id);
  }
  throw new InvalidInputError(`unknown ${kind} ${name} (not in ${file})`);
}
