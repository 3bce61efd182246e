import { createHash } from 'node:crypto';
import { AcmeHaError } from '../errors.ts';
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { FileSink, FileWrite } from '../ports/file-sink.ts';
import type { InstalledRevision, InstalledRevisionStore } from '../ports/installed-revision-store.ts';
import type { KeystoreStore } from '../ports/keystore-store.ts';
import type { Lock } from '../ports/lock.ts';
import type { Logger } from '../ports/logger.ts';
import type { NodeResult, NodeStatus, NodeStatusStore } from '../ports/node-status-store.ts';
import type { ProbeEndpoint, Prober } from '../ports/prober.ts';
import type { Reloader } from '../ports/reloader.ts';
import type { Rollout, RolloutStore } from '../ports/rollout-store.ts';
import type { Revision } from '../renewal/types.ts';
import { ProbeFailedError, RevisionVerificationError } from './agent-errors.ts';
import { keysToDownload, objectsFor, type TargetSelection } from './revision-objects.ts';
import { acquireSlot } from './rollout-slot.ts';

/** One configured target, resolved: where its files go, how to reload and probe it. */
export interface PlannedTarget {
  readonly selection: TargetSelection;
  /** The keystore file (jks, pkcs12) or the directory of the PEM files. */
  readonly path: string;
  readonly mode: number;
  readonly owner?: string | undefined;
  readonly group?: string | undefined;
  readonly reloader: Reloader | null;
  readonly probes: readonly ProbeEndpoint[];
}

/** Everything this node installs of one certificate; synced as one unit with one rollout slot. */
export interface CertificatePlan {
  readonly certificateId: string;
  readonly targets: readonly PlannedTarget[];
}

export interface RolloutSettings {
  /** Used when this node creates the rollout record; afterwards the record's value rules. */
  readonly maxParallel: number;
  readonly slotTtlMs: number;
  /** How long others wait for the canary before one takes over; also the slot wait limit. */
  readonly canaryTimeoutMs: number;
  /** How long the probe may take to see the expected certificate after a reload. */
  readonly probeTimeoutMs: number;
  /** Pause between polls (slots, canary result, probe). */
  readonly pollMs: number;
}

export interface AgentDeps {
  readonly nodeId: string;
  readonly state: Pick<CertificateStateStore, 'get' | 'getRevision'>;
  readonly keystores: Pick<KeystoreStore, 'get'>;
  readonly files: FileSink;
  readonly installed: InstalledRevisionStore;
  readonly status: NodeStatusStore;
  readonly rollouts: RolloutStore;
  readonly lock: Lock;
  readonly prober: Prober;
  readonly clock: Clock;
  readonly log: Logger;
  /** Resolves after `ms`, or early when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly rollout: RolloutSettings;
}

/**
 * - `applied`: written, reloaded, probe confirmed; `unchanged`: bytes on disk were already right;
 * - `up-to-date`: the installed revision is the desired one, nothing to do; `obsolete`: the desired
 *   revision is older than the installed one (never downgrade); `no-revision`: nothing published;
 * - `rejected`: verification failed, nothing written; `rolled-back`: probe or reload failed, backup
 *   restored; `halted`: the rollout was stopped by a failure elsewhere; `failed`: another error;
 *   `interrupted`: shutdown or no slot in time, nothing changed, try again later.
 */
export type SyncResult =
  | 'applied'
  | 'unchanged'
  | 'up-to-date'
  | 'obsolete'
  | 'no-revision'
  | 'rejected'
  | 'rolled-back'
  | 'halted'
  | 'failed'
  | 'interrupted';

export interface SyncOutcome {
  readonly certificateId: string;
  readonly result: SyncResult;
  /** The revision this sync aimed at. */
  readonly revision: number | null;
  /** The revision installed on the node afterwards. */
  readonly installedRevision: number | null;
  /** notAfter of the revision aimed at (ISO), for expiry metrics. */
  readonly notAfter: string | null;
  readonly errorCode: string | null;
  readonly message: string | null;
  readonly durationMs: number;
}

/** Results after which a queue message has done its job (applied, or judged and reported). */
export const SETTLED_RESULTS: ReadonlySet<SyncResult> = new Set([
  'applied',
  'unchanged',
  'up-to-date',
  'obsolete',
  'no-revision',
  'rolled-back',
  'halted',
]);

/** Results that mean this node needs attention (for exit codes and metrics). */
export const FAILED_RESULTS: ReadonlySet<SyncResult> = new Set(['rejected', 'rolled-back', 'failed']);

interface PlannedFile extends FileWrite {
  readonly sha256: string;
  readonly changed: boolean;
  readonly target: PlannedTarget;
}

/**
 * Converges one certificate on this node to the newest published revision (or `hint`, if newer):
 * download, verify, and — only when bytes differ — take a cluster-wide rollout slot, write
 * atomically with backup, reload, and probe; on a failed reload or probe restore the backup, reload
 * again and halt the rollout for the other nodes. Reports to the node status store throughout.
 * Never throws: every failure becomes an outcome (and a status record).
 */
export async function syncCertificate(
  deps: AgentDeps,
  plan: CertificatePlan,
  options: { readonly hint?: number; readonly signal?: AbortSignal } = {},
): Promise<SyncOutcome> {
  const started = performance.now();
  const id = plan.certificateId;
  const log = deps.log;
  let installed: InstalledRevision | null = null;
  let desired: Revision | null = null;
  const outcome = (
    result: SyncResult,
    extra: { errorCode?: string; message?: string; installedRevision?: number | null } = {},
  ): SyncOutcome => ({
    certificateId: id,
    result,
    revision: desired?.revision ?? null,
    installedRevision:
      extra.installedRevision !== undefined ? extra.installedRevision : (installed?.revision ?? null),
    notAfter: desired?.notAfter ?? null,
    errorCode: extra.errorCode ?? null,
    message: extra.message ?? null,
    durationMs: performance.now() - started,
  });
  const previous = await deps.status.get(id, deps.nodeId).catch(() => null);
  const report = (fields: Partial<NodeStatus> & { result: NodeResult }) =>
    writeStatus(deps, id, previous, installed, desired, fields);

  try {
    installed = await deps.installed.get(id);
    desired = (await deps.state.get(id)).current;
    if (options.hint !== undefined && (desired === null || options.hint > desired.revision)) {
      // The event may outrun a reader of the state item; the immutable revision record is enough.
      desired = (await deps.state.getRevision(id, options.hint)) ?? desired;
    }
    if (!desired) return outcome('no-revision');
    if (installed && desired.revision < installed.revision) {
      log.info('revision obsolete', {
        certificateId: id,
        revision: desired.revision,
        installed: installed.revision,
      });
      return outcome('obsolete');
    }
    if (
      installed &&
      desired.revision === installed.revision &&
      (await onDiskMatches(deps.files, installed))
    ) {
      // Also clears a failure report left behind, e.g. one that reached a flapping store.
      if (!reportsInstalled(previous, installed.revision)) await report({ result: 'unchanged' });
      return outcome('up-to-date');
    }

    const files = await download(deps, plan, desired);
    const changed = files.filter((f) => f.changed);
    if (changed.length === 0) {
      // The right bytes are already in place (an earlier run wrote them, or an operator did): no
      // write and no reload, only the record of what is installed.
      installed = await remember(deps, desired, files);
      log.info('keystore unchanged', { certificateId: id, revision: desired.revision });
      await report({ result: 'unchanged', errorCode: null, error: null });
      return outcome('unchanged');
    }
    return await rollOut(deps, plan, desired, files, installed, report, outcome, options.signal);
  } catch (error) {
    const code = error instanceof AcmeHaError ? error.code : 'UNEXPECTED';
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RevisionVerificationError) {
      log.error('revision rejected', {
        certificateId: id,
        revision: desired?.revision,
        errorCode: code,
        error: message,
      });
      await report({ result: 'rejected', errorCode: code, error: message });
      return outcome('rejected', { errorCode: code, message });
    }
    log.error('sync failed', {
      certificateId: id,
      revision: desired?.revision,
      errorCode: code,
      error: message,
    });
    await report({ result: 'failed', errorCode: code, error: message });
    return outcome('failed', { errorCode: code, message });
  }
}

type Report = (fields: Partial<NodeStatus> & { result: NodeResult }) => Promise<void>;
type MakeOutcome = (
  result: SyncResult,
  extra?: { errorCode?: string; message?: string; installedRevision?: number | null },
) => SyncOutcome;

async function rollOut(
  deps: AgentDeps,
  plan: CertificatePlan,
  desired: Revision,
  files: readonly PlannedFile[],
  installed: InstalledRevision | null,
  report: Report,
  outcome: MakeOutcome,
  signal: AbortSignal | undefined,
): Promise<SyncOutcome> {
  const id = plan.certificateId;
  const log = deps.log;
  const settings = deps.rollout;
  const join = () => ({
    certificateId: id,
    revision: desired.revision,
    nodeId: deps.nodeId,
    maxParallel: settings.maxParallel,
    now: deps.clock.now(),
    canaryDeadline: new Date(deps.clock.now().getTime() + settings.canaryTimeoutMs),
  });
  let rollout: Rollout | null = await deps.rollouts.join(join());
  if (rollout.canary === deps.nodeId && rollout.state === 'canary')
    log.info('canary', { certificateId: id, revision: desired.revision });
  // Wait for the canary's verdict; take its role over if it missed its deadline (crashed).
  while (rollout && rollout.state === 'canary' && rollout.canary !== deps.nodeId) {
    if (signal?.aborted) return outcome('interrupted');
    if (deps.clock.now() >= new Date(rollout.canaryDeadline)) {
      rollout = (await deps.rollouts.takeOver(join())) ?? (await deps.rollouts.get(id, desired.revision));
      continue;
    }
    await deps.sleep(settings.pollMs * (0.5 + deps.random()), signal);
    rollout = await deps.rollouts.get(id, desired.revision);
  }
  if (!rollout || rollout.state === 'halted') return halted(deps, desired, rollout, report, outcome);

  const slot = await acquireSlot(deps.lock, id, deps.nodeId, rollout.maxParallel, settings.slotTtlMs, {
    sleep: deps.sleep,
    random: deps.random,
    now: () => deps.clock.now(),
    pollMs: settings.pollMs,
    maxWaitMs: settings.canaryTimeoutMs,
    signal,
  });
  if (!slot) {
    log.warn('no rollout slot', { certificateId: id, revision: desired.revision });
    return outcome('interrupted', { message: signal?.aborted ? 'shutting down' : 'no rollout slot in time' });
  }
  try {
    // Checked again inside the slot: a node that held it before us may have failed meanwhile.
    const current = await deps.rollouts.get(id, desired.revision);
    if (!current || current.state === 'halted') return await halted(deps, desired, current, report, outcome);
    const isCanary = current.canary === deps.nodeId && current.state === 'canary';
    const reloadStartedAt = deps.clock.now().toISOString();
    log.info('slot acquired', {
      certificateId: id,
      revision: desired.revision,
      slot: slot.name,
      canary: isCanary,
    });
    await report({
      result: 'reloading',
      reloadStartedAt,
      reloadFinishedAt: null,
      errorCode: null,
      error: null,
    });

    const written: string[] = [];
    for (const file of files.filter((f) => f.changed)) {
      await deps.files.write(file);
      written.push(file.path);
    }
    log.info('keystore written', { certificateId: id, revision: desired.revision, files: written.length });
    const touched = distinctTargets(files.filter((f) => f.changed));
    try {
      await reloadAll(deps, touched, id);
      await waitUntilServed(deps, touched, desired.serial);
    } catch (error) {
      return await rollBack(
        deps,
        desired,
        installed,
        touched,
        written,
        error,
        reloadStartedAt,
        report,
        outcome,
      );
    }
    const record = await remember(deps, desired, files);
    if (isCanary) await deps.rollouts.promote(id, desired.revision, deps.nodeId, deps.clock.now());
    const reloadFinishedAt = deps.clock.now().toISOString();
    log.info('reload finished', {
      certificateId: id,
      revision: desired.revision,
      serial: desired.serial,
      canary: isCanary,
    });
    await report({
      result: 'applied',
      revisionOnDisk: record.revision,
      revisionServed: touched.some((t) => t.probes.length > 0) ? desired.revision : null,
      servedSerial: touched.some((t) => t.probes.length > 0) ? desired.serial : null,
      reloadStartedAt,
      reloadFinishedAt,
      errorCode: null,
      error: null,
    });
    return outcome('applied', { installedRevision: record.revision });
  } finally {
    // The install stands either way: a slot that cannot be released expires after slotTtlMs.
    await deps.lock
      .release(slot)
      .catch((error: unknown) =>
        log.warn('rollout slot not released', { certificateId: id, error: (error as Error).message }),
      );
  }
}

async function rollBack(
  deps: AgentDeps,
  desired: Revision,
  installed: InstalledRevision | null,
  touched: readonly PlannedTarget[],
  written: readonly string[],
  error: unknown,
  reloadStartedAt: string,
  report: Report,
  outcome: MakeOutcome,
): Promise<SyncOutcome> {
  const id = desired.certificateId;
  const code = error instanceof AcmeHaError ? error.code : 'UNEXPECTED';
  const message = error instanceof Error ? error.message : String(error);
  deps.log.error('reload failed, rolling back', {
    certificateId: id,
    revision: desired.revision,
    errorCode: code,
    error: message,
  });
  // Halt first: the others must not start reloading while we are still restoring.
  await deps.rollouts.halt(id, desired.revision, deps.nodeId, `${deps.nodeId}: ${message}`, deps.clock.now());
  let restored = true;
  for (const path of written) restored = (await deps.files.restore(path)) && restored;
  let servedAfter: number | null = null;
  let rollbackProblem: string | null = restored ? null : 'no previous keystore to restore for some files';
  let reloadProblem: string | null = null;
  try {
    await reloadAll(deps, touched, id);
  } catch (second) {
    // A server that refused the new files usually still serves the old ones: the probe decides.
    reloadProblem = (second as Error).message;
  }
  if (installed) {
    try {
      await waitUntilServed(deps, touched, installed.serial);
      servedAfter = installed.revision;
    } catch (second) {
      rollbackProblem = `the rollback did not take either: ${reloadProblem ?? (second as Error).message}`;
    }
  } else if (reloadProblem) {
    rollbackProblem = `the reload after restoring failed too: ${reloadProblem}`;
  }
  deps.log.error('rolled back', {
    certificateId: id,
    revision: desired.revision,
    servedRevision: servedAfter,
    problem: rollbackProblem,
  });
  await report({
    result: rollbackProblem ? 'failed' : 'rolled-back',
    revisionOnDisk: installed?.revision ?? null,
    revisionServed: servedAfter,
    servedSerial: servedAfter === null ? null : (installed?.serial ?? null),
    reloadStartedAt,
    reloadFinishedAt: deps.clock.now().toISOString(),
    errorCode: code,
    error: rollbackProblem ? `${message}; ${rollbackProblem}` : message,
  });
  return outcome('rolled-back', { errorCode: code, message });
}

async function halted(
  deps: AgentDeps,
  desired: Revision,
  rollout: Rollout | null,
  report: Report,
  outcome: MakeOutcome,
): Promise<SyncOutcome> {
  const reason = rollout?.reason ?? 'the rollout record is gone';
  deps.log.warn('rollout halted', {
    certificateId: desired.certificateId,
    revision: desired.revision,
    reason,
  });
  await report({ result: 'halted', errorCode: 'ROLLOUT_HALTED', error: reason });
  return outcome('halted', { errorCode: 'ROLLOUT_HALTED', message: reason });
}

/** Downloads (once per object) and verifies every target's files, then compares them with the disk. */
async function download(deps: AgentDeps, plan: CertificatePlan, revision: Revision): Promise<PlannedFile[]> {
  const bytes = new Map<string, Buffer>();
  for (const target of plan.targets)
    for (const key of keysToDownload(revision, target.selection))
      if (!bytes.has(key)) bytes.set(key, await deps.keystores.get(key));
  const now = deps.clock.now();
  // Loaded on the first download: the keystore decoders (ASN.1 libraries) are not needed by an agent
  // with nothing to install, and stay out of an idle agent's memory.
  const { verifyRevision } = await import('./verify-revision.ts');
  for (const target of plan.targets) verifyRevision(revision, target.selection, bytes, now);
  const files: PlannedFile[] = [];
  for (const target of plan.targets) {
    for (const object of objectsFor(revision, target.selection)) {
      const data = bytes.get(object.key);
      if (!data) continue;
      const path =
        target.selection.format === 'pem' ? `${target.path.replace(/\/+$/, '')}/${object.name}` : target.path;
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

async function remember(
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

/** The status record already says `revision` is installed here, without an error. */
function reportsInstalled(status: NodeStatus | null, revision: number): boolean {
  return (
    status !== null &&
    (status.result === 'applied' || status.result === 'unchanged') &&
    status.revisionOnDisk === revision &&
    status.targetRevision === revision &&
    status.errorCode === null
  );
}

async function onDiskMatches(files: FileSink, installed: InstalledRevision): Promise<boolean> {
  for (const [path, sha256] of Object.entries(installed.files)) {
    const bytes = await files.read(path);
    if (!bytes || createHash('sha256').update(bytes).digest('hex') !== sha256) return false;
  }
  return true;
}

function distinctTargets(files: readonly PlannedFile[]): PlannedTarget[] {
  return [...new Set(files.map((f) => f.target))];
}

/** Each distinct reload action once, in target order; two targets may share one server. */
async function reloadAll(
  deps: AgentDeps,
  targets: readonly PlannedTarget[],
  certificateId: string,
): Promise<void> {
  const done = new Set<string>();
  for (const target of targets) {
    const reloader = target.reloader;
    if (!reloader || done.has(reloader.description)) continue;
    done.add(reloader.description);
    const t0 = performance.now();
    await reloader.reload();
    deps.log.info('reloaded', {
      certificateId,
      action: reloader.description,
      ms: Math.round(performance.now() - t0),
    });
  }
}

/**
 * Polls every probe endpoint until it serves `serial` on {@link PROBE_CONFIRMATIONS} handshakes in
 * a row: reloads are asynchronous (nginx starts new workers while the old ones still accept for a
 * moment), so one early handshake may see either certificate.
 * @throws ProbeFailedError naming the endpoint and what it served
 */
async function waitUntilServed(
  deps: AgentDeps,
  targets: readonly PlannedTarget[],
  serial: string,
): Promise<void> {
  const deadline = deps.clock.now().getTime() + deps.rollout.probeTimeoutMs;
  for (const endpoint of targets.flatMap((t) => t.probes)) {
    let last = 'no handshake yet';
    let streak = 0;
    for (;;) {
      try {
        const served = await deps.prober.probe(endpoint);
        streak = served.serial === serial ? streak + 1 : 0;
        if (streak >= PROBE_CONFIRMATIONS) break;
        if (streak === 0) last = `serves serial ${served.serial}`;
      } catch (error) {
        streak = 0;
        last = (error as Error).message;
      }
      if (streak === 0 && deps.clock.now().getTime() >= deadline)
        throw new ProbeFailedError(
          `${endpoint.host}:${endpoint.port} (SNI ${endpoint.servername}) ${last}, expected serial ${serial}`,
        );
      await deps.sleep(streak > 0 ? 20 : Math.min(deps.rollout.pollMs, 100));
    }
  }
}

/** Consecutive handshakes that must show the new certificate before a reload counts as served. */
export const PROBE_CONFIRMATIONS = 3;

async function writeStatus(
  deps: AgentDeps,
  certificateId: string,
  previous: NodeStatus | null,
  installed: InstalledRevision | null,
  desired: Revision | null,
  fields: Partial<NodeStatus> & { result: NodeResult },
): Promise<void> {
  const now = deps.clock.now().toISOString();
  const failing =
    fields.result === 'rejected' || fields.result === 'rolled-back' || fields.result === 'failed';
  const status: NodeStatus = {
    certificateId,
    nodeId: deps.nodeId,
    revisionOnDisk: installed?.revision ?? null,
    revisionServed: previous?.revisionServed ?? null,
    servedSerial: previous?.servedSerial ?? null,
    targetRevision: desired?.revision ?? null,
    errorCode: null,
    error: null,
    updatedAt: now,
    failingSince: failing ? (previous?.failingSince ?? now) : null,
    reloadStartedAt: previous?.reloadStartedAt ?? null,
    reloadFinishedAt: previous?.reloadFinishedAt ?? null,
    ...fields,
  };
  try {
    await deps.status.put(status);
  } catch (error) {
    // Status is a report, not a precondition: the install itself stands.
    deps.log.warn('status not written', { certificateId, error: (error as Error).message });
  }
}
