/**
 * Every port's contract (test/contract/) against its in-memory implementation or test fake, with
 * no network; test/integration/contracts/ runs the same suites against the real adapters.
 */
import { InMemoryAccountStore } from '../../adapters/memory/in-memory-account-store.ts';
import { InMemoryChallengeStore } from '../../adapters/memory/in-memory-challenge-store.ts';
import { InMemoryEventIntake } from '../../adapters/memory/in-memory-event-intake.ts';
import { InMemoryFileSink } from '../../adapters/memory/in-memory-file-sink.ts';
import { InMemoryInstalledRevisions } from '../../adapters/memory/in-memory-installed-revisions.ts';
import { InMemoryKeystoreStore } from '../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryLock } from '../../adapters/memory/in-memory-lock.ts';
import { InMemoryNodeStatusStore } from '../../adapters/memory/in-memory-node-status-store.ts';
import { InMemoryRolloutStore } from '../../adapters/memory/in-memory-rollout-store.ts';
import { InMemoryStateStore } from '../../adapters/memory/in-memory-state-store.ts';
import { RecordingEventPublisher } from '../../adapters/memory/recording-event-publisher.ts';
import { ManualClock } from '../../adapters/time/manual-clock.ts';
import { describeAcmeAccountStoreContract } from '../contract/acme-account-store.contract.ts';
import { describeCertificateIssuerContract } from '../contract/certificate-issuer.contract.ts';
import { describeCertificateStateStoreContract } from '../contract/certificate-state-store.contract.ts';
import { describeChallengeStoreContract } from '../contract/challenge-store.contract.ts';
import { describeClockContract } from '../contract/clock.contract.ts';
import { describeEventIntakeContract } from '../contract/event-intake.contract.ts';
import { describeEventPublisherContract } from '../contract/event-publisher.contract.ts';
import { describeFileSinkContract } from '../contract/file-sink.contract.ts';
import { describeInstalledRevisionStoreContract } from '../contract/installed-revision-store.contract.ts';
import { describeKeystoreStoreContract } from '../contract/keystore-store.contract.ts';
import { describeLockContract } from '../contract/lock.contract.ts';
import { describeNodeStatusStoreContract } from '../contract/node-status-store.contract.ts';
import { describeProberContract } from '../contract/prober.contract.ts';
import { describeReloaderContract } from '../contract/reloader.contract.ts';
import { describeRolloutStoreContract } from '../contract/rollout-store.contract.ts';
import { FakeIssuer } from '../fakes/fake-issuer.ts';
import { FakeProber, FakeTlsServer } from '../fakes/fake-tls-server.ts';
import { jksOf } from '../support/agent-keystores.ts';

const PASSWORD = 'changeit';
const SERVER = { host: '127.0.0.1', servername: 'app.acme-ha.test' };

describeLockContract('InMemoryLock', () => {
  const clock = new ManualClock();
  return { lock: new InMemoryLock(clock), clock };
});

describeChallengeStoreContract('InMemoryChallengeStore', () => {
  const clock = new ManualClock();
  return { store: new InMemoryChallengeStore(clock), clock };
});

describeKeystoreStoreContract('InMemoryKeystoreStore', () => ({ store: new InMemoryKeystoreStore() }));

describeAcmeAccountStoreContract('InMemoryAccountStore', () => ({ store: new InMemoryAccountStore() }));

describeCertificateStateStoreContract('InMemoryStateStore', () => ({ store: new InMemoryStateStore() }));

describeRolloutStoreContract('InMemoryRolloutStore', () => ({ store: new InMemoryRolloutStore() }));

describeNodeStatusStoreContract('InMemoryNodeStatusStore', () => ({ store: new InMemoryNodeStatusStore() }));

describeInstalledRevisionStoreContract('InMemoryInstalledRevisions', () => ({
  store: new InMemoryInstalledRevisions(),
}));

describeFileSinkContract('InMemoryFileSink', () => {
  const sink = new InMemoryFileSink();
  return {
    sink,
    path: (name) => `/etc/acme-ha-test/${name}`,
    modeOf: async (path) => sink.modes.get(path) ?? null,
  };
});

describeEventPublisherContract('RecordingEventPublisher', () => {
  const publisher = new RecordingEventPublisher();
  return { publisher, delivered: async () => [...publisher.events] };
});

describeEventIntakeContract('InMemoryEventIntake', (options) => {
  const intake = new InMemoryEventIntake(options);
  return { intake, deliver: async (event) => intake.send(event), maxReceiveCount: intake.maxReceiveCount };
});

describeCertificateIssuerContract('FakeIssuer', () => ({
  issuer: new FakeIssuer(),
  directory: 'https://ca.acme-ha.test/directory',
}));

/** A fake server on its keystore in a fake file system, and the prober that sees it. */
function aFakeServer(port = 8443) {
  const files = new InMemoryFileSink();
  const path = '/etc/app/tls/server.jks';
  const server = new FakeTlsServer(port, files, path, PASSWORD);
  return { files, path, server, prober: new FakeProber([server]) };
}

describeReloaderContract('FakeTlsServer', () => {
  const { files, path, server, prober } = aFakeServer();
  return {
    reloader: server,
    install: (pki) => files.write({ path, bytes: jksOf(pki, PASSWORD), mode: 0o600 }),
    installUnreadable: () => files.write({ path, bytes: Buffer.from('not a keystore'), mode: 0o600 }),
    restore: () => files.restore(path),
    served: () => prober.probe({ ...SERVER, port: server.port }),
  };
});

describeProberContract('FakeProber', () => {
  const { files, path, server } = aFakeServer(8443);
  const silent = new FakeTlsServer(8444, files, path, PASSWORD);
  return {
    prober: new FakeProber([server, silent]),
    serve: async (pki) => {
      await files.write({ path, bytes: jksOf(pki, PASSWORD), mode: 0o600 });
      await server.reload();
      return { ...SERVER, port: server.port };
    },
    refused: { ...SERVER, port: 8445 },
    silent: { ...SERVER, port: silent.port },
  };
});

describeClockContract('ManualClock', () => {
  const clock = new ManualClock();
  return { clock, pass: async (ms) => clock.advance(ms) };
});
