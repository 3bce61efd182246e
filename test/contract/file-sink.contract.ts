import { describe, expect, it } from 'vitest';
import type { FileSink } from '../../core/ports/file-sink.ts';
import { uniqueName } from './unique-name.ts';

export interface FileSinkSubject {
  readonly sink: FileSink;
  /** A path where the sink may write; no file exists there yet. */
  path(name: string): string;
  /** Permission bits of the file at `path`, or null when there is none (not part of the port). */
  modeOf(path: string): Promise<number | null>;
}

const bytes = (text: string) => Buffer.from(text);

/** The promises of core/ports/file-sink.ts. */
export function describeFileSinkContract(
  name: string,
  make: () => FileSinkSubject | Promise<FileSinkSubject>,
): void {
  describe(`FileSink contract: ${name}`, () => {
    async function aFile() {
      const subject = await make();
      return { ...subject, file: subject.path(`${uniqueName('keystore')}.jks`) };
    }

    it('reads null for a file that does not exist', async () => {
      const { sink, file } = await aFile();

      expect(await sink.read(file)).toBeNull();
    });

    it('writes the bytes with the mode asked for', async () => {
      const { sink, file, modeOf } = await aFile();

      await sink.write({ path: file, bytes: bytes('first'), mode: 0o640 });

      expect(await sink.read(file)).toEqual(bytes('first'));
      expect(await modeOf(file)).toBe(0o640);
    });

    it('has no backup of a first write: restore returns false and changes nothing', async () => {
      const { sink, file } = await aFile();
      expect(await sink.restore(file)).toBe(false);

      await sink.write({ path: file, bytes: bytes('first'), mode: 0o600 });

      expect(await sink.restore(file)).toBe(false);
      expect(await sink.read(file)).toEqual(bytes('first'));
    });

    it('removes the file with its backup, and says whether there was anything to remove', async () => {
      const { sink, file } = await aFile();
      const other = `${file}.other`;
      await sink.write({ path: file, bytes: bytes('first'), mode: 0o600 });
      await sink.write({ path: file, bytes: bytes('second'), mode: 0o600 });
      await sink.write({ path: other, bytes: bytes('other'), mode: 0o600 });

      expect(await sink.remove(file)).toBe(true);

      expect(await sink.read(file)).toBeNull();
      expect(await sink.restore(file)).toBe(false);
      expect(await sink.remove(file)).toBe(false);
      expect(await sink.read(other)).toEqual(bytes('other'));
    });

    it('keeps the replaced file as the backup, which restore puts back with its mode', async () => {
      const { sink, file, modeOf } = await aFile();
      await sink.write({ path: file, bytes: bytes('first'), mode: 0o600 });
      await sink.write({ path: file, bytes: bytes('second'), mode: 0o644 });
      expect(await sink.read(file)).toEqual(bytes('second'));

      expect(await sink.restore(file)).toBe(true);

      expect(await sink.read(file)).toEqual(bytes('first'));
      expect(await modeOf(file)).toBe(0o600);
    });

    it('keeps the backup after a restore, so restoring again gives the same file', async () => {
      const { sink, file } = await aFile();
      await sink.write({ path: file, bytes: bytes('first'), mode: 0o600 });
      await sink.write({ path: file, bytes: bytes('second'), mode: 0o600 });

      await sink.restore(file);
      expect(await sink.restore(file)).toBe(true);

      expect(await sink.read(file)).toEqual(bytes('first'));
    });

    it('backs up only the file just replaced', async () => {
      const { sink, file } = await aFile();
      for (const text of ['first', 'second', 'third']) {
        await sink.write({ path: file, bytes: bytes(text), mode: 0o600 });
      }

      await sink.restore(file);

      expect(await sink.read(file)).toEqual(bytes('second'));
    });

    it('makes the backup equal to the file when the same bytes are written twice', async () => {
      const { sink, file } = await aFile();
      await sink.write({ path: file, bytes: bytes('first'), mode: 0o600 });
      await sink.write({ path: file, bytes: bytes('second'), mode: 0o600 });
      await sink.write({ path: file, bytes: bytes('second'), mode: 0o600 });

      expect(await sink.restore(file)).toBe(true);

      expect(await sink.read(file)).toEqual(bytes('second'));
    });

    it('keeps files apart: the backup of one is not the backup of another', async () => {
      const { sink, file, path } = await aFile();
      const other = path(`${uniqueName('keystore')}.p12`);
      await sink.write({ path: file, bytes: bytes('first'), mode: 0o600 });
      await sink.write({ path: other, bytes: bytes('other'), mode: 0o600 });
      await sink.write({ path: file, bytes: bytes('second'), mode: 0o600 });

      expect(await sink.restore(other)).toBe(false);
      expect(await sink.read(other)).toEqual(bytes('other'));
    });

    it('keeps the file unchanged when a caller changes the bytes it wrote or read', async () => {
      const { sink, file } = await aFile();
      const written = bytes('first');
      await sink.write({ path: file, bytes: written, mode: 0o600 });

      written.fill(0);
      (await sink.read(file))?.fill(0);

      expect(await sink.read(file)).toEqual(bytes('first'));
    });
  });
}
