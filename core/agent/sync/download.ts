import { createHash } from 'node:crypto';
import type { FileSink, FileWrite } from '../../ports/file-sink.ts';
import type { InstalledRevision } from '../../ports/installed-revision-store.ts';
import type { Revision } from '../../renewal/types.ts';
import { keysToDownload, objectsFor } from '../revision-objects.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { CertificatePlan, PlannedTarget } from './plan.ts';

/** One file of a target, downloaded and verified, and whether the disk holds other bytes. */
export interface PlannedFile extends FileWrite {
  readonly sha256: string;
  readonly changed: boolean;
  readonly target: PlannedTarget;
}

/** Downloads (once per object, in parallel) and verifies every target's files, then compares them with the disk. */
export async function download(
  deps: AgentDeps,
  plan: CertificatePlan,
  revision: Revision,
): Promise<PlannedFile[]> {
  // Each object once, all at the same time: a node's download is as slow as its slowest object.
  const keys = [...new Set(plan.targets.flatMap((t) => keysToDownload(revision, t.selection)))];
  const bytes = new Map(
    await Promise.all(keys.map(async (key) => [key, await deps.keystores.get(key)] as const)),
  );
  const now = deps.clock.now();
  // Loaded on the first download: the keystore decoders (ASN.1 libraries) are not needed by an agent
  // with nothing to install, and stay out of an idle agent's memory.
  const { verifyRevision } = await import('../verify-revision.ts');
  for (const target of plan.targets) verifyRevision(revision, target.selection, bytes, now);
  const files: PlannedFile[] = [];
  for (const target of plan.targets) {
    for (const object of objectsFor(revision, target.selection)) {
      const data = bytes.get(object.key);
      if (!data) continue;
      const path = targetFilePath(target, object.name);
      const onDisk = await deps.files.read(path);
      files.push({
        path,
        bytes: data,
        mode: target.mode,
        owner: target.owner,
        group: target.group,
        sha256: object.sha256,
        changed: onDisk === null || !onDisk.equals(data),
        target,
      });
    }
  }
  return files;
}

/** Where a target keeps a file of a revision: its keystore path, or the file in its PEM directory. */
export function targetFilePath(target: PlannedTarget, name: string): string {
  return target.selection.format === 'pem' ? `${target.path.replace(/\/+$/, '')}/${name}` : target.path;
}

/** Records `revision` as installed on this node, with the checksum of each of its files. */
export async function remember(
  deps: AgentDeps,
  revision: Revision,
  files: readonly PlannedFile[],
): Promise<InstalledRevision> {
  const record: InstalledRevision = {
    certificateId: revision.certificateId,
    revision: revision.revision,
    serial: revision.serial,
    files: Object.fromEntries(files.map((f) => [f.path, f.sha256])),
    installedAt: deps.clock.now().toISOString(),
  };
  await deps.installed.put(record);
  return record;
}

/** Every file of the installed record is on disk with the recorded checksum. */
export async function onDiskMatches(files: FileSink, installed: InstalledRevision): Promise<boolean> {
  for (const [path, sha256] of Object.entries(installed.files)) {
    const bytes = await files.read(path);
    if (!bytes || createHash('sha256').update(bytes).digest('hex') !== sha256) return false;
  }
  return true;
}
