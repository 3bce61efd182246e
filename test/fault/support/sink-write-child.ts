/**
 * Child process of the kill -9 suite: replaces one keystore with new bytes through the agent's real
 * file sink (link to `.previous`, temp file, fsync, chmod, rename, directory fsync), as a sync does.
 * It says `ready` once loaded, writes when a line arrives on stdin, then says `done <µs>`, so the
 * parent can place SIGKILL anywhere inside the write rather than inside Node's start-up.
 *
 * argv: <keystore path> <file with the new bytes> <octal mode>
 */
import { readFile } from 'node:fs/promises';
import { KeystoreFileSink } from '../../../adapters/fs/keystore-file-sink.ts';

const [path, source, modeText] = process.argv.slice(2);
if (!path || !source || !modeText) {
  process.stderr.write('usage: sink-write-child <path> <new bytes file> <mode>\n');
  process.exit(2);
}
const bytes = await readFile(source);
const sink = new KeystoreFileSink();
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  const started = process.hrtime.bigint();
  sink
    .write({ path, bytes, mode: Number.parseInt(modeText, 8) })
    .then(() => {
      process.stdout.write(`done ${(process.hrtime.bigint() - started) / 1000n}\n`);
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    });
});
