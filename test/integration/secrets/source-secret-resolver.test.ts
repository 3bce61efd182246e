/**
 * The secret resolver against the real AWS SDK clients. No Secrets Manager or SSM emulator exists
 * here, so a stand-in of a few lines answers the two JSON-protocol calls we make (GetSecretValue,
 * GetParameter); everything from the SDK's request signing to its error parsing is real.
 */
import { createServer } from 'node:http';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../../../adapters/http/http-server.ts';
import { SourceSecretResolver } from '../../../adapters/secrets/source-secret-resolver.ts';
import { listenHttp } from '../../../local/net.ts';

const secrets: Record<string, string> = { 'acme-ha/jks': 's3cret-from-sm' };
const parameters: Record<string, string> = { '/acme-ha/eab': 'hmac-from-ssm' };
const calls: { target: string; body: Record<string, unknown> }[] = [];
const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
  });
  req.on('end', () => {
    const target = String(req.headers['x-amz-target']);
    const body = JSON.parse(raw) as Record<string, unknown>;
    calls.push({ target, body });
    const reply = (status: number, payload: unknown) =>
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
    if (target === 'secretsmanager.GetSecretValue') {
      const value = secrets[String(body.SecretId)];
      return value === undefined
        ? reply(400, { __type: 'ResourceNotFoundException', message: 'no such secret' })
        : reply(200, { Name: body.SecretId, SecretString: value });
    }
    if (target === 'AmazonSSM.GetParameter') {
      const value = parameters[String(body.Name)];
      return value === undefined
        ? reply(400, { __type: 'ParameterNotFound', message: 'no such parameter' })
        : reply(200, { Parameter: { Name: body.Name, Type: 'SecureString', Value: value } });
    }
    return reply(400, { __type: 'UnknownOperationException' });
  });
});
let resolver: SourceSecretResolver;

beforeAll(async () => {
  const endpoint = `http://127.0.0.1:${await listenHttp(server, 0)}`;
  const common = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
  resolver = new SourceSecretResolver({ JKS_PASSWORD: 'from-env' }, () => ({
    secretsManager: new SecretsManagerClient(common),
    ssm: new SSMClient(common),
  }));
});

afterAll(() => closeHttp(server));

describe('SourceSecretResolver', () => {
  it('reads environment variables, Secrets Manager secrets and decrypted SSM parameters', async () => {
    expect(await resolver.resolve({ env: 'JKS_PASSWORD' })).toBe('from-env');
    expect(await resolver.resolve({ secretsManager: 'acme-ha/jks' })).toBe('s3cret-from-sm');
    expect(await resolver.resolve({ ssmParameter: '/acme-ha/eab' })).toBe('hmac-from-ssm');
    expect(calls.find((c) => c.target === 'AmazonSSM.GetParameter')?.body).toEqual({
      Name: '/acme-ha/eab',
      WithDecryption: true,
    });
  });

  it('names the source, never a value, when a secret is missing', async () => {
    await expect(resolver.resolve({ env: 'NOPE' })).rejects.toThrow(
      'environment variable NOPE is not set or empty',
    );
    await expect(resolver.resolve({ secretsManager: 'missing' })).rejects.toThrow(
      'cannot read secret missing: ResourceNotFoundException',
    );
    await expect(resolver.resolve({ ssmParameter: '/missing' })).rejects.toThrow(
      'cannot read parameter /missing: ParameterNotFound',
    );
  });
});
