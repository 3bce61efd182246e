/**
 * The contracts of the node's file stores (test/contract/) against the file-system adapters, each
 * test in a fresh temporary directory.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InstalledRevisionFile } from '../../../adapters/fs/installed-revision-file.ts';
import { KeystoreFileSink } from '../../../adapters/fs/keystore-file-sink.ts';
import { describeFileSinkContract } from '../../contract/file-sink.contract.ts';
import { describeInstalledRevisionStoreContract } from '../../contract/installed-revision-store.contract.ts';
import { tempDir } from '../../support/temp-dir.ts';

describeFileSinkContract('KeystoreFileSink', async () => {
  const dir = await tempDir('acme-ha-contract-sink-');
  return {
    sink: new KeystoreFileSink(),
    path: (name) => join(dir, name),
    modeOf: async (path) => {
      const stats = await stat(path).catch(() => null);
      return stats ? stats.mode & 0o777 : null;
    },
  };
});

describeInstalledRevisionStoreContract('InstalledRevisionFile', async () => ({
  // A state directory that does not exist yet: the first put makes it.
  store: new InstalledRevisionFile(join(await tempDir('acme-ha-contract-state-'), 'state')),
}));
