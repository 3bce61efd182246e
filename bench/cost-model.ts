/**
 * Cost model (issue 9): the monthly AWS bill of the control plane and the fleet for 10/100/1,000
 * certificates × 5/50/500 nodes, from requests per node and per renewal at published on-demand
 * us-east-1 prices. A model over counted requests: the reconcile's reads as agent-footprint counted
 * them, a renewal's requests as scale counted them in the renewer's clients, and a node's requests
 * for a new revision as convergence counted them in the agents' clients (each from this run or the
 * saved results; the estimates below only where a suite has never run).
 */
import { FULL_RECONCILE_EVERY } from '../core/agent/reconcile-memory.ts';
import type { BenchSuite, SuiteResult } from './suite.ts';
import { type RequestCounts, readsAndWrites } from './support/request-count.ts';

/** Published on-demand prices, us-east-1, USD (free tiers left out on purpose). */
const PRICE = {
  /** DynamoDB on-demand, per read / write request unit (since the November 2024 price cut). */
  dynamoRead: 0.125 / 1e6,
  dynamoWrite: 0.625 / 1e6,
  /** SQS standard queue, per request (64 KiB chunk). */
  sqs: 0.4 / 1e6,
  /** S3 Standard, per PUT and per GET. */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  /** SNS standard topic, per publish (deliveries to SQS are not charged by SNS). */
  snsPublish: 0.5 / 1e6,
  /** Lambda x86, per request and per GB-second. */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000166667,
  /** One customer managed KMS key per month (S3 Bucket Key on: per-object KMS calls are negligible). */
  kmsKey: 1,
} as const;

const SECONDS_PER_MONTH = 30 * 24 * 3600;
const RECONCILE_SECONDS = 900;
/**
 * Writes per node per reconcile while nothing changes: its heartbeat, one item whatever it serves
 * (reports are rewritten only when they change; before 0.4 every report was rewritten once 10 min
 * old, so one write per certificate per node per reconcile).
 */
const HEARTBEAT_WRITES_PER_RECONCILE = 1;
/** Bytes per certificate in the head item (`rev:<id>` and a number); a consistent read is a unit per 4 KB. */
const HEAD_BYTES_PER_CERTIFICATE = 24;

/** Read units of one head read: every certificate's current revision in one item. */
function headReadUnits(certificates: number): number {
  return Math.max(1, Math.ceil((certificates * HEAD_BYTES_PER_CERTIFICATE) / 4096));
}
const LONG_POLL_SECONDS = 20;
/** 90-day certificates renewed at day 60: half a renewal per certificate per month. */
const RENEWALS_PER_CERT_MONTH = 0.5;
/** The renewer's schedule (cdk/renewer.ts: cron 17 5,17 * * ? *) and memory (1024 MB). */
const SCHEDULED_RUNS_MONTH = 60;
const RENEWER_GB = 1;
/** Per scheduled run: its base time, and the state item it reads per certificate. */
const PER_RUN = { baseSeconds: 2, readsPerCertificate: 1 };
/** The renewer's Lambda time per renewal and the HTTP-01 validations the responder Lambda answers. */
const RENEWAL_LAMBDA = {
  renewerSeconds: 5,
  /** Multi-perspective validation: 4 requests, 128 MB, 50 ms each. */
  responderInvocations: 4,
  responderGbSeconds: 4 * 0.125 * 0.05,
};

/** Requests priced per renewal (the renewer's) and per node and renewal (an agent installing it). */
interface Counts {
  readonly reconcileGetItems: number;
  readonly renewal: { reads: number; writes: number; s3Put: number; s3Get: number; snsPublish: number };
  readonly node: { reads: number; writes: number; s3Get: number; sqs: number };
  /** Where each figure came from, for the method. */
  readonly sources: { reconcile: string; renewal: string; node: string };
}

/** Estimates read from the code paths, for a figure no suite has counted yet. */
const ESTIMATES: Omit<Counts, 'sources'> = {
  reconcileGetItems: 2,
  renewal: { reads: 5, writes: 10, s3Put: 6, s3Get: 1, snsPublish: 1 },
  node: { reads: 6, writes: 6, s3Get: 1, sqs: 2 },
};

/** The counts the other suites made (this run's or the saved ones), else the estimates. */
function countsFrom(measured: Readonly<Record<string, SuiteResult>>): Counts {
  const footprint = measured['agent-footprint']?.raw as
    | { measured?: { error?: string; startupCounts?: Record<string, number> }[] }
    | undefined;
  const reconcile = footprint?.measured?.find((m) => !m.error)?.startupCounts?.GetItem;
  const scale = measured.scale?.raw as
    | { certificates: number; requestsPerCertificate?: Record<'dynamodb' | 's3' | 'sns', RequestCounts> }[]
    | undefined;
  const renewer = Array.isArray(scale) ? scale.findLast((p) => p.requestsPerCertificate) : undefined;
  const convergence = measured.convergence?.raw as
    | { results?: Record<string, { requestsPerNodeSync?: Record<'dynamodb' | 's3', RequestCounts> | null }> }
    | undefined;
  const rows = Object.entries(convergence?.results ?? {}).filter(
    ([key, r]) => key.startsWith('agents-') && r.requestsPerNodeSync,
  );
  const [nodeRow, nodeResult] = rows.sort((a, b) => Number(b[0].slice(7)) - Number(a[0].slice(7)))[0] ?? [];
  const node = nodeResult?.requestsPerNodeSync;
  const r = renewer?.requestsPerCertificate;
  return {
    reconcileGetItems: reconcile ?? ESTIMATES.reconcileGetItems,
    renewal: r
      ? {
          ...readsAndWrites(r.dynamodb),
          s3Put: r.s3.PutObjectCommand ?? 0,
          s3Get: r.s3.GetObjectCommand ?? 0,
          snsPublish: r.sns.PublishCommand ?? 0,
        }
      : ESTIMATES.renewal,
    node: node
      ? { ...readsAndWrites(node.dynamodb), s3Get: node.s3.GetObjectCommand ?? 0, sqs: ESTIMATES.node.sqs }
      : ESTIMATES.node,
    sources: {
      reconcile:
        reconcile !== undefined ? 'counted by agent-footprint' : 'estimated (agent-footprint has not run)',
      renewal: renewer
        ? `counted by scale in the renewer's SDK clients (${renewer.certificates} PEM certificates, per certificate)`
        : 'estimated (scale has not run)',
      node: nodeRow
        ? `counted by convergence in the agents' SDK clients (${nodeRow.replace('agents-', '')} agents in process, per node and revision)`
        : 'estimated (convergence has not run)',
    },
  };
}

interface Breakdown {
  dynamodb: number;
  sqs: number;
  s3: number;
  sns: number;
  lambda: number;
  kms: number;
}

function monthly(certificates: number, nodes: number, counts: Counts): Breakdown {
  const { renewal, node } = counts;
  const renewals = certificates * RENEWALS_PER_CERT_MONTH;
  const perMonth = SECONDS_PER_MONTH / RECONCILE_SECONDS;
  // One reconcile in FULL_RECONCILE_EVERY reads each certificate's state and report; the others
  // read the head once (core/agent/reconcile-memory.ts).
  const fullReconciles = (certificates * nodes * perMonth) / FULL_RECONCILE_EVERY;
  const headReads = nodes * perMonth * (1 - 1 / FULL_RECONCILE_EVERY) * headReadUnits(certificates);
  const receives = nodes * (SECONDS_PER_MONTH / LONG_POLL_SECONDS);
  const reads =
    fullReconciles * counts.reconcileGetItems +
    headReads +
    SCHEDULED_RUNS_MONTH * certificates * PER_RUN.readsPerCertificate +
    renewals * (renewal.reads + nodes * node.reads);
  const writes =
    nodes * perMonth * HEARTBEAT_WRITES_PER_RECONCILE + renewals * (renewal.writes + nodes * node.writes);
  const gbSeconds =
    SCHEDULED_RUNS_MONTH * PER_RUN.baseSeconds * RENEWER_GB +
    renewals * (RENEWAL_LAMBDA.renewerSeconds * RENEWER_GB + RENEWAL_LAMBDA.responderGbSeconds);
  return {
    dynamodb: reads * PRICE.dynamoRead + writes * PRICE.dynamoWrite,
    sqs: (receives + renewals * nodes * node.sqs) * PRICE.sqs,
    s3:
      renewals * renewal.s3Put * PRICE.s3Put + renewals * (renewal.s3Get + nodes * node.s3Get) * PRICE.s3Get,
    sns: renewals * renewal.snsPublish * PRICE.snsPublish,
    lambda:
      (SCHEDULED_RUNS_MONTH + renewals * RENEWAL_LAMBDA.responderInvocations) * PRICE.lambdaRequest +
      gbSeconds * PRICE.lambdaGbSecond,
    kms: PRICE.kmsKey,
  };
}

const usd = (x: number) => (x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(3)}`);
const n1 = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

export const costModel: BenchSuite = {
  id: 'cost-model',
  title: 'Cost model: monthly AWS cost (model over counted requests)',
  target:
    'issue 19: 100 certificates × 50 nodes idle ≤ $4.50/month, with per-renewal requests counted, not estimated; the formula and prices are stated so the figures can be checked (issue 9)',
  async run({ measured }) {
    const counts = countsFrom(measured);
    const { renewal, node } = counts;
    const rows: string[][] = [];
    const raw: Record<string, Breakdown & { total: number }> = {};
    for (const certificates of [10, 100, 1000]) {
      for (const nodes of [5, 50, 500]) {
        const b = monthly(certificates, nodes, counts);
        const total = b.dynamodb + b.sqs + b.s3 + b.sns + b.lambda + b.kms;
        raw[`${certificates}x${nodes}`] = { ...b, total };
        rows.push([
          `${certificates} certificates × ${nodes} nodes`,
          usd(b.dynamodb),
          usd(b.sqs),
          usd(b.s3),
          usd(b.sns),
          usd(b.lambda),
          usd(b.kms),
          `**${usd(total)}**`,
        ]);
      }
    }
    const worst = raw['1000x500'];
    const perNode = monthly(1, 1, counts).sqs;
    const target = raw['100x50']?.total ?? Number.NaN;
    const perMonth = SECONDS_PER_MONTH / RECONCILE_SECONDS;
    return {
      columns: ['case', 'DynamoDB', 'SQS', 'S3', 'SNS', 'Lambda', 'KMS', 'total / month'],
      rows,
      verdict:
        `Issue 19's idle target (100 × 50 ≤ $4.50): ${target <= 4.5 ? 'met' : 'MISSED'}, ${usd(target)}. ` +
        `The bill is driven by the fleet at idle, not by renewals: each node's 20 s long poll costs ${usd(perNode)}/month in SQS, and each ` +
        `certificate on each node ${(perMonth * counts.reconcileGetItems) / FULL_RECONCILE_EVERY} reads a month (its state and report at every ${FULL_RECONCILE_EVERY}th reconcile), each node ${perMonth * HEARTBEAT_WRITES_PER_RECONCILE} heartbeat writes and ${perMonth - perMonth / FULL_RECONCILE_EVERY} reads of the head, whatever it serves ` +
        `(since 2026-12-06; before, every reconcile read the state and the report of every certificate and rewrote the report: $16.22 for 100 × 50); a renewal costs the renewer ${n1(renewal.reads)} reads, ${n1(renewal.writes)} writes, ${n1(renewal.s3Put)} S3 PUTs and each node ${n1(node.reads)} reads, ${n1(node.writes)} writes and ${n1(node.s3Get)} S3 GET (counted). ` +
        `1,000 certificates on 500 nodes (every node serving every certificate) comes to ${worst ? usd(worst.total) : 'n/a'} a month. ` +
        `SQS long polls and the KMS key alone are ${usd(raw['100x50'] ? raw['100x50'].sqs + raw['100x50'].kms : Number.NaN)} of the $4.50; DynamoDB is ${usd(raw['100x50']?.dynamodb ?? Number.NaN)} (docs/design/2026-12-06-idle-cost.md). ` +
        `The price of the reads saved: a report another writer changed, or a head the renewer failed to advance while the node also missed the event, is set right at the next full reconcile (within ${FULL_RECONCILE_EVERY} intervals, 2 hours by default), not at the next one.`,
      method:
        `Prices (USD, us-east-1, on-demand, free tiers left out): DynamoDB $0.125 per million read units, $0.625 per million write units; SQS $0.40 per million requests; ` +
        `S3 $0.005 per 1,000 PUT, $0.0004 per 1,000 GET; SNS $0.50 per million publishes; Lambda $0.20 per million requests + $0.0000166667 per GB-s; KMS $1 per key-month ` +
        `(S3 Bucket Key on, so per-object KMS requests are left out; storage of a few KiB per certificate is left out). ` +
        `Per month (30 days), C certificates, N nodes, every node serving every certificate, R = 0.5·C renewals (90-day certificates renewed at day 60): ` +
        `DynamoDB reads = C·N·2,880·g/${FULL_RECONCILE_EVERY} (reconcile every 900 s, every ${FULL_RECONCILE_EVERY}th a full one, g = ${counts.reconcileGetItems} GetItem per certificate, ${counts.sources.reconcile}) + N·2,880·${(1 - 1 / FULL_RECONCILE_EVERY).toFixed(3)}·h (the head at the others, h = one read unit per 4 KB of ${HEAD_BYTES_PER_CERTIFICATE} bytes per certificate) ` +
        `+ 60·C (the renewer's twice-daily scheduled run reads each state item) + R·(${n1(renewal.reads)} + ${n1(node.reads)}·N); ` +
        `DynamoDB writes = N·2,880·${HEARTBEAT_WRITES_PER_RECONCILE} (the node's heartbeat at every reconcile; reports are rewritten only when they change) + R·(${n1(renewal.writes)} + ${n1(node.writes)}·N); ` +
        `SQS = N·129,600 ReceiveMessage (20 s long polls) + R·N·${node.sqs} (delivery, delete); S3 = R·${n1(renewal.s3Put)} PUT + R·(${n1(renewal.s3Get)} + ${n1(node.s3Get)}·N) GET; SNS = R·${n1(renewal.snsPublish)} publishes; ` +
        `Lambda = 60 scheduled runs × ${PER_RUN.baseSeconds} s × ${RENEWER_GB} GB + R·(${RENEWAL_LAMBDA.renewerSeconds} s × ${RENEWER_GB} GB renewer + ${RENEWAL_LAMBDA.responderInvocations} responder invocations at 128 MB × 50 ms). ` +
        `Requests: the renewer's per renewal ${counts.sources.renewal}; a node's per renewal ${counts.sources.node} (including the canary's and the slot's conditional writes; SQS's delivery and delete are not counted there and stay 2). ` +
        `A request is priced as one unit (items under 1 KB written, 4 KB read; a transactional write is two units per item, not modelled).`,
      raw: { prices: PRICE, counts, results: raw },
    };
  },
};
