/**
 * `acme-ha dmz pair`: the receiver's identity and an internal client identity, each self-signed,
 * written 0600 under a 0700 directory, and everything an operator pastes into the two configs.
 */
import { chmod, copyFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createPairingIdentity } from '../../adapters/openssl/openssl-pairing.ts';
import { displayFingerprint } from '../../core/dmz/fingerprint.ts';
import { CliInputError, type CliIo } from '../io.ts';

export interface DmzPairFlags {
  out: string;
  dmzName?: string;
  dmzId?: string;
  clientName?: string;
  port?: string;
  days?: string;
  json?: boolean;
}

export interface PairingResult {
  readonly dmzId: string;
  readonly url: string;
  readonly receiver: { certificate: string; key: string; fingerprint: string; notAfter: string };
  readonly client: { name: string; certificate: string; key: string; fingerprint: string; notAfter: string };
  /** The copy of the client certificate the receiver trusts (its `tls.clientCertificates`). */
  readonly receiverTrust: string;
}

export async function pair(flags: DmzPairFlags, io: CliIo): Promise<void> {
  const dmzName = (flags.dmzName ?? 'localhost').toLowerCase();
  if (!/^[a-z0-9.:-]{1,253}$/.test(dmzName))
    throw new CliInputError(`--dmz-name ${dmzName}: not a host name or address`);
  const dmzId =
    flags.dmzId ??
    (dmzName
      .split('.')[0]
      ?.replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+/, '') ||
      'dmz');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(dmzId))
    throw new CliInputError(`--dmz-id ${dmzId}: use a-z, 0-9 and -`);
  const clientName = flags.clientName ?? hostname();
  const port = Number(flags.port ?? 8443);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new CliInputError('--port must be 1–65535');
  const days = Number(flags.days ?? 1095);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new CliInputError('--days must be 1–3650');

  const out = resolve(flags.out);
  const dmzDir = join(out, 'dmz');
  const internalDir = join(out, 'internal');
  const receiver = await createPairingIdentity({
    certificateFile: join(dmzDir, 'receiver-cert.pem'),
    keyFile: join(dmzDir, 'receiver-key.pem'),
    commonName: dmzName,
    subjectAltNames: [dmzName],
    usage: 'serverAuth',
    days,
  });
  const client = await createPairingIdentity({
    certificateFile: join(internalDir, 'client-cert.pem'),
    keyFile: join(internalDir, 'client-key.pem'),
    commonName: `acme-ha ${clientName}`,
    usage: 'clientAuth',
    days,
  });
  const receiverTrust = join(dmzDir, 'client-cert.pem');
  await copyFile(client.certificateFile, receiverTrust);
  await chmod(receiverTrust, 0o600);
  const host = dmzName.includes(':') ? `[${dmzName}]` : dmzName;
  const result: PairingResult = {
    dmzId,
    url: `https://${host}:${port}`,
    receiver: {
      certificate: receiver.certificateFile,
      key: receiver.keyFile,
      fingerprint: receiver.fingerprint,
      notAfter: receiver.notAfter,
    },
    client: {
      name: clientName,
      certificate: client.certificateFile,
      key: client.keyFile,
      fingerprint: client.fingerprint,
      notAfter: client.notAfter,
    },
    receiverTrust,
  };
  io.out(flags.json ? `${JSON.stringify(result)}\n` : instructions(result, port));
}

function instructions(r: PairingResult, port: number): string {
  const dmzEtc = '/etc/acme-ha-dmz';
  const nodeEtc = `/etc/acme-ha/dmz-${r.dmzId}`;
  return `Paired DMZ instance ${r.dmzId} (${r.url}) with internal client "${r.client.name}".

Fingerprints (SHA-256) — compare them on both hosts with: openssl x509 -noout -fingerprint -sha256 -in FILE
  receiver  ${displayFingerprint(r.receiver.fingerprint)}
  client    ${displayFingerprint(r.client.fingerprint)}
Both certificates are valid until ${r.receiver.notAfter.slice(0, 10)}; pair again before then.

1. On the DMZ host: copy ${join(r.receiver.certificate, '..')}/ to ${dmzEtc}/ (keep mode 0600, owner = the
   receiver's user) and put this in its config (acme-ha dmz serve --config ${dmzEtc}/receiver.yaml):

version: 1
id: ${r.dmzId}
listen: { host: 0.0.0.0, port: ${port} }
tls:
  certificate: ${dmzEtc}/receiver-cert.pem
  key: ${dmzEtc}/receiver-key.pem
  clientCertificates: [${dmzEtc}/client-cert.pem]
  pinnedClients: ["${r.client.fingerprint}"]
stateDirectory: /var/lib/acme-ha-dmz
targets: []   # as in an agent config: certificateId, format, path, password, reload, probe

2. On each internal node that pushes to it (copy ${join(r.client.certificate, '..')}/ to ${nodeEtc}/), in its
   agent config:

dmz:
  - id: ${r.dmzId}
    url: ${r.url}
    serverFingerprint: "${r.receiver.fingerprint}"
    clientCertificate: ${nodeEtc}/client-cert.pem
    clientKey: ${nodeEtc}/client-key.pem
    certificates: []   # the certificates whose dmz list names ${r.dmzId}

The private keys never leave the directory they were written to except by your copy; delete
${join(r.receiver.certificate, '..', '..')} once both sides are set up.
`;
}
