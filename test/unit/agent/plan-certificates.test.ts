/**
 * Turning configured targets into sync plans: passwords and secret HTTP reload headers are resolved
 * at start, so a missing variable stops the agent before any renewal, naming the variable only.
 */
import { describe, expect, it } from 'vitest';
import { drainerFactory } from '../../../adapters/reload/drainer-for.ts';
import { HealthEndpoints } from '../../../adapters/reload/health-endpoint.ts';
import { reloaderFor } from '../../../adapters/reload/reloader-for.ts';
import { EnvSecretResolver } from '../../../adapters/secrets/env-secret-resolver.ts';
import { planCertificates } from '../../../core/agent/plan-certificates.ts';
import { agentConfigSchema } from '../../../core/config/agent-config.ts';
import { SecretUnavailableError } from '../../../core/errors.ts';

/** Never listened on: these tests only plan. */
const drainerFor = drainerFactory(new HealthEndpoints());

function targets(headers: Record<string, unknown>) {
  return agentConfigSchema.parse({
    version: 1,
    node: { id: 'web-1' },
    aws: { region: 'us-east-1', queueUrl: 'https://sqs.example.test/1/q' },
    targets: [
      {
        certificateId: 'web',
        format: 'pem',
        path: '/etc/app/tls',
        reload: { http: { url: 'https://admin.example.test/reload?token=abc', headers } },
      },
    ],
  }).targets;
}

describe('planCertificates', () => {
  it('resolves secret HTTP reload headers from the environment; messages never show them', async () => {
    const headers = { Authorization: { env: 'ADMIN_AUTH' }, 'X-Team': 'certs' };
    const seen: Record<string, string>[] = [];
    const [plan] = await planCertificates(
      targets(headers),
      new EnvSecretResolver({ ADMIN_AUTH: 'Bearer s3cret' }),
      (reload, target, resolved) => {
        seen.push({ ...resolved });
        return reloaderFor(reload, target, resolved);
      },
      drainerFor,
    );
    expect(seen).toEqual([{ Authorization: 'Bearer s3cret', 'X-Team': 'certs' }]);
    expect(plan?.targets[0]?.reloader?.description).toBe('http POST https://admin.example.test/reload');
  });

  it('stops at start when a header variable is unset, naming it', async () => {
    const plan = planCertificates(
      targets({ Authorization: { env: 'ADMIN_AUTH' } }),
      new EnvSecretResolver({}),
      reloaderFor,
      drainerFor,
    );
    await expect(plan).rejects.toBeInstanceOf(SecretUnavailableError);
    await expect(plan).rejects.toThrow('environment variable ADMIN_AUTH is not set or empty');
  });

  it('resolves the store and key passwords of a keystore target at start, naming an unset variable', async () => {
    const [target] = agentConfigSchema.parse({
      version: 1,
      node: { id: 'web-1' },
      aws: { region: 'us-east-1', queueUrl: 'https://sqs.example.test/1/q' },
      targets: [
        {
          certificateId: 'web',
          format: 'jks',
          path: '/opt/tomcat/conf/server.jks',
          alias: 'tomcat',
          password: { env: 'KS_PASS' },
          keyPassword: { env: 'KEY_PASS' },
        },
      ],
    }).targets;
    if (!target) throw new Error('no target');
    const [plan] = await planCertificates(
      [target],
      new EnvSecretResolver({ KS_PASS: 'store-pass', KEY_PASS: 'key-pass' }),
      reloaderFor,
      drainerFor,
    );
    expect(plan?.targets[0]?.selection).toMatchObject({ password: 'store-pass', keyPassword: 'key-pass' });
    const [withoutKeyPassword] = await planCertificates(
      [{ ...target, keyPassword: undefined }],
      new EnvSecretResolver({ KS_PASS: 'store-pass' }),
      reloaderFor,
      drainerFor,
    );
    expect(withoutKeyPassword?.targets[0]?.selection.keyPassword).toBeUndefined();
    await expect(
      planCertificates([target], new EnvSecretResolver({ KS_PASS: 'store-pass' }), reloaderFor, drainerFor),
    ).rejects.toThrow('environment variable KEY_PASS is not set or empty');
  });

  it('refuses a header name that is no HTTP token', () => {
    expect(() => targets({ 'Bad Header': 'x' })).toThrow(/not an HTTP header name/);
  });
});
