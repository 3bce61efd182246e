/**
 * HTTP-01 for DMZ-hosted names: the receiver's port-80 responder sends every challenge request to
 * the public responder URL (302, path kept), answers nothing else, and holds no challenge data.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DmzReceiverRuntime } from '../../../dmz/compose-receiver.ts';
import {
  aClientIdentity,
  aReceiverIdentity,
  dmzConfigFor,
  startTestDmz,
} from '../../support/dmz-receivers.ts';
import { tempDir } from '../../support/temp-dir.ts';

let runtime: DmzReceiverRuntime | undefined;
afterAll(async () => runtime?.stop());

function get(port: number, path: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host: 'app.acme-ha.test' } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    })
      .on('error', reject)
      .end();
  });
}

describe('the DMZ port-80 responder', () => {
  it('redirects challenge requests to the public responder URL and nothing else', async () => {
    const dir = await tempDir('acme-ha-dmz-responder-');
    const client = await aClientIdentity(dir, 'client');
    runtime = await startTestDmz(
      dmzConfigFor({
        id: 'edge',
        stateDirectory: join(dir, 'state'),
        receiver: await aReceiverIdentity(dir, 'receiver'),
        trusted: [client],
        pinned: [client],
        targets: [{ certificateId: 'app', format: 'pem', path: join(dir, 'pem') }],
        responder: { port: 0, redirectUrl: 'https://acme.example.test/responder/' },
      }),
    );
    const port = runtime.responder?.port ?? 0;
    expect(port).toBeGreaterThan(0);
    // A token as Let's Encrypt sends it: 43 characters of base64url.
    const token = 'tok-EN_123-LE5tyle_0123456789abcdefghijklmn';
    expect(await get(port, `/.well-known/acme-challenge/${token}`)).toEqual({
      status: 302,
      location: `https://acme.example.test/responder/.well-known/acme-challenge/${token}`,
    });
    // The token rule of every responder (core/challenge/respond.ts): too short to be one is not forwarded.
    expect((await get(port, '/.well-known/acme-challenge/tok-EN_123')).status).toBe(404);
    expect((await get(port, '/.well-known/acme-challenge/../../etc/passwd')).status).toBe(404);
    expect((await get(port, '/index.html')).status).toBe(404);
  });
});
