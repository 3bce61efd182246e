import { basename } from 'node:path';
import type { AgentConfig, ReloadConfig } from '../../core/config/agent-config.ts';

/** systemctl verbs a reload may use, as polkit names them in the action's `verb` detail. */
const SYSTEMCTL_VERBS = new Set([
  'reload',
  'restart',
  'try-restart',
  'reload-or-restart',
  'try-reload-or-restart',
]);

/** What the hardened unit must allow for the configured reloads, and nothing more. */
export interface ReloadGrants {
  /** Units the agent may manage through systemd, with the verbs each reload uses. */
  readonly units: ReadonlyMap<string, ReadonlySet<string>>;
  /** Capabilities beyond the unit's own (signals to servers that run as another user). */
  readonly capabilities: ReadonlySet<string>;
}

/**
 * Reads each target's reload: `systemctl VERB UNIT…` needs a polkit grant for exactly those units
 * and verbs (the unit's `NoNewPrivileges` rules out sudo, a set-uid program); a `signal` reload and
 * `nginx -s …` (which signals nginx's master process, run by root) need CAP_KILL. Other commands
 * get nothing: what they need is the operator's to grant.
 */
export function reloadGrants(config: AgentConfig): ReloadGrants {
  const units = new Map<string, Set<string>>();
  const capabilities = new Set<string>();
  for (const target of config.targets) {
    const reload = target.reload;
    if (!reload) continue;
    if (reload.signal) capabilities.add('CAP_KILL');
    const argv = commandWords(reload);
    if (!argv) continue;
    const [program = '', ...args] = argv;
    if (basename(program) === 'nginx' && args.includes('-s')) capabilities.add('CAP_KILL');
    if (basename(program) === 'systemctl') {
      const words = args.filter((a) => !a.startsWith('-'));
      const [verb, ...names] = words;
      if (verb && SYSTEMCTL_VERBS.has(verb))
        for (const name of names) {
          const unit = name.includes('.') ? name : `${name}.service`;
          units.set(unit, new Set([...(units.get(unit) ?? []), verb]));
        }
    }
  }
  return { units, capabilities };
}

/** A reload command as words: an argv, or a shell string made only of plain words. */
function commandWords(reload: ReloadConfig): readonly string[] | undefined {
  if (!reload.command) return undefined;
  if (typeof reload.command !== 'string') return reload.command;
  return /^[\w@%+=:,./ -]+$/.test(reload.command) ? reload.command.trim().split(/\s+/) : undefined;
}

/**
 * The polkit rule (JavaScript, ES5 as polkit's interpreters take it) that lets the agent's user
 * manage exactly the granted units with exactly the granted verbs; every other request falls
 * through to polkit's other rules.
 */
export function polkitRule(grants: ReloadGrants, user: string): string {
  const allowed = Object.fromEntries([...grants.units].map(([unit, verbs]) => [unit, [...verbs].sort()]));
  return `${[
    '// Written by `acme-ha agent install`: the agent may reload or restart exactly these units.',
    'polkit.addRule(function (action, subject) {',
    `  if (action.id !== "org.freedesktop.systemd1.manage-units" || subject.user !== ${JSON.stringify(user)})`,
    '    return polkit.Result.NOT_HANDLED;',
    `  var allowed = ${JSON.stringify(allowed)};`,
    '  var verbs = allowed.hasOwnProperty(action.lookup("unit")) ? allowed[action.lookup("unit")] : [];',
    '  return verbs.indexOf(action.lookup("verb")) >= 0 ? polkit.Result.YES : polkit.Result.NOT_HANDLED;',
    '});',
  ].join('\n')}\n`;
}
