import { describe, expect, it } from 'vitest';
import { InvalidPemError, KeystoreFormatError } from '../../../core/errors.ts';
import { buildKeystore, inspectKeystore, openKeystore } from '../../../core/keystore/keystore.ts';
import { PEM_FILES } from '../../../core/keystore/pem-files.ts';
import { aPki, keyPemOf, pemOf, type TestPki } from '../../support/pki.ts';

/** The five files `keystore build --format pem` writes, by name. */
function pemDirectory(pki: TestPki): Map<string, Buffer> {
  const output = buildKeystore(
    { privateKey: pki.leafKey, chain: pki.chain },
    { format: 'pem', alias: 'unused', created: new Date() },
  );
  if (output.kind !== 'directory') throw new Error('expected a directory');
  return new Map(output.files);
}

function only(files: Map<string, Buffer>, names: readonly string[]): Map<string, Buffer> {
  return new Map([...files].filter(([name]) => names.includes(name)));
}

describe('inspectKeystore of a PEM directory', () => {
  it('reports what buildKeystore wrote, as for a keystore file', async () => {
    const pki = await aPki({ intermediates: 2 });
    const report = inspectKeystore(pemDirectory(pki), undefined, '/etc/ssl/web');
    expect(report).toMatchObject({
      format: 'pem',
      alias: null,
      subject: 'CN=localhost',
      chainLength: 3,
      keyMatchesCertificate: true,
    });
    expect(report).toEqual(
      inspectKeystore(pemDirectory(pki).get(PEM_FILES.combined) ?? Buffer.alloc(0), undefined, 'combined'),
    );
  });

  it('reads whichever files an agent target installs', async () => {
    const pki = await aPki({ intermediates: 2 });
    const files = pemDirectory(pki);
    for (const names of [
      [PEM_FILES.fullchain, PEM_FILES.privkey],
      [PEM_FILES.cert, PEM_FILES.chain, PEM_FILES.privkey],
      [PEM_FILES.combined],
    ])
      expect(inspectKeystore(only(files, names), undefined, 'dir'), names.join(' ')).toMatchObject({
        chainLength: 3,
        keyMatchesCertificate: true,
      });
    expect(inspectKeystore(only(files, [PEM_FILES.fullchain]), undefined, 'dir')).toMatchObject({
      chainLength: 3,
      keyMatchesCertificate: null,
    });
  });

  it('takes the empty chain.pem of a leaf issued by the root itself', async () => {
    const pki = await aPki({ intermediates: 0 });
    const files = only(pemDirectory(pki), [PEM_FILES.cert, PEM_FILES.chain, PEM_FILES.privkey]);
    expect(files.get(PEM_FILES.chain)?.length).toBe(0);
    expect(inspectKeystore(files, undefined, 'dir')).toMatchObject({
      chainLength: 1,
      keyMatchesCertificate: true,
    });
  });

  it('reports a key of another certificate as not matching', async () => {
    const [pki, other] = await Promise.all([aPki(), aPki()]);
    const files = only(pemDirectory(pki), [PEM_FILES.fullchain]);
    files.set(PEM_FILES.privkey, Buffer.from(keyPemOf(other.leafKey)));
    expect(inspectKeystore(files, undefined, 'dir')).toMatchObject({ keyMatchesCertificate: false });
  });

  it('refuses files of two keystores, naming each file that disagrees', async () => {
    const [pki, other] = await Promise.all([aPki(), aPki()]);
    const files = pemDirectory(pki);
    files.set(PEM_FILES.cert, Buffer.from(pemOf([other.leaf])));
    files.set(PEM_FILES.privkey, Buffer.from(keyPemOf(other.leafKey)));
    expect(() => openKeystore(files, undefined, '/srv/tls')).toThrow(
      new KeystoreFormatError(
        '/srv/tls: files of different keystores: cert.pem disagrees with fullchain.pem, the key of combined.pem disagrees with privkey.pem',
      ),
    );
  });

  it('refuses a directory without a certificate file, and names an unreadable file', async () => {
    const pki = await aPki();
    expect(() => openKeystore(only(pemDirectory(pki), [PEM_FILES.privkey]), undefined, 'dir')).toThrow(
      KeystoreFormatError,
    );
    expect(() => openKeystore(new Map(), undefined, 'dir')).toThrow(/dir: no PEM keystore here/);
    const broken = new Map([[PEM_FILES.fullchain, Buffer.from('not PEM')]]);
    expect(() => openKeystore(broken, undefined, 'dir')).toThrow(
      new InvalidPemError('dir/fullchain.pem', 'no PEM block found'),
    );
  });
});
