/**
 * What `agent install` grants for the configured reloads. The polkit rule is run as polkit runs it:
 * its JavaScript evaluated (node:vm, no other globals) with `polkit` and action objects shaped as
 * polkit's documentation gives them — there is no polkitd or system bus on a test machine.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { polkitRule, reloadGrants } from '../../../agent/install/reload-grants.ts';
import { agentConfigSchema } from '../../../core/config/agent-config.ts';

function configWith(reloads: Record<string, unknown>[]) {
  return agentConfigSchema.parse({
    version: 1,
    node: { id: 'web-1' },
    aws: { region: 'us-east-1', queueUrl: 'https://sqs.example.test/1/q' },
    targets: reloads.map((reload, i) => ({
      certificateId: 'web',
      format: 'pem',
      path: `/etc/t${i}`,
      reload,
    })),
  });
}

type Rule = (action: unknown, subject: unknown) => string;

function evaluate(rule: string): Rule {
  let added: Rule | undefined;
  const polkit = {
    Result: { YES: 'yes', NO: 'no', NOT_HANDLED: 'not-handled' },
    addRule: (fn: Rule) => {
      added = fn;
    },
  };
  runInNewContext(rule, { polkit });
  if (!added) throw new Error('the rule added nothing');
  return added;
}

const manage = (unit: string, verb: string) => ({
  id: 'org.freedesktop.systemd1.manage-units',
  lookup: (key: string) => ({ unit, verb })[key],
});

describe('reload grants', () => {
  it('systemctl reloads: a polkit grant for exactly those units and verbs, nothing for others', () => {
    const grants = reloadGrants(
      configWith([
        { command: ['systemctl', 'restart', 'mft-server'] },
        { command: '/usr/bin/systemctl --no-block reload nginx.service' },
        { command: ['systemctl', 'reload', 'mft-server'] },
        { command: ['systemctl', 'stop', 'other'] },
        { command: 'systemctl restart "$(cat /etc/unit)"' },
      ]),
    );
    expect(Object.fromEntries([...grants.units].map(([u, v]) => [u, [...v].sort()]))).toEqual({
      'mft-server.service': ['reload', 'restart'],
      'nginx.service': ['reload'],
    });
    expect([...grants.capabilities]).toEqual([]);

    const rule = evaluate(polkitRule(grants, 'acme-ha'));
    const agent = { user: 'acme-ha' };
    expect(rule(manage('mft-server.service', 'restart'), agent)).toBe('yes');
    expect(rule(manage('mft-server.service', 'reload'), agent)).toBe('yes');
    expect(rule(manage('nginx.service', 'reload'), agent)).toBe('yes');
    expect(rule(manage('nginx.service', 'restart'), agent)).toBe('not-handled');
    expect(rule(manage('other.service', 'stop'), agent)).toBe('not-handled');
    expect(rule(manage('hasOwnProperty', 'reload'), agent)).toBe('not-handled');
    expect(rule(manage('mft-server.service', 'restart'), { user: 'www-data' })).toBe('not-handled');
    expect(rule({ id: 'org.freedesktop.login1.reboot', lookup: () => undefined }, agent)).toBe('not-handled');
  });

  it('signals: CAP_KILL for a signal reload and for nginx -s, not for other commands', () => {
    expect([
      ...reloadGrants(configWith([{ signal: 'SIGHUP', pidFile: '/run/app.pid' }])).capabilities,
    ]).toEqual(['CAP_KILL']);
    expect([...reloadGrants(configWith([{ command: 'nginx -s reload' }])).capabilities]).toEqual([
      'CAP_KILL',
    ]);
    expect([
      ...reloadGrants(configWith([{ command: ['/usr/sbin/nginx', '-s', 'reload'] }])).capabilities,
    ]).toEqual(['CAP_KILL']);
    expect([...reloadGrants(configWith([{ command: ['/opt/app/reload.sh'] }])).capabilities]).toEqual([]);
    expect(reloadGrants(configWith([{ command: ['/opt/app/reload.sh'] }])).units.size).toBe(0);
  });
});
