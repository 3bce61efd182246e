/**
 * Cost model (issue 9): the monthly AWS bill of the control plane and the fleet for 10/100/1,000
 * certificates × 5/50/500 nodes, from requests per node and per renewal at published on-demand
 * us-east-1 prices. A model, not a measurement: the idle figures come from the design (and the
 * reconcile's GetItem count from the agent-footprint suite when it ran before this one); the
 * per-renewal counts are estimates from the code paths, stated below.
 */
import { REPORT_REFRESH_MS } from '../core/ports/node-status-store.ts';
import { idleObservation } from './agent-footprint.ts';
import type { BenchSuite } from './suite.ts';

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
 * Status writes per certificate per reconcile while nothing changes: a report is rewritten once it
 * is REPORT_REFRESH_MS old (the node's heartbeat), so at the first reconcile after that.
 */
const HEARTBEAT_WRITES_PER_RECONCILE = 1 / Math.ceil(REPORT_REFRESH_MS / (RECONCILE_SECONDS * 1000));
const LONG_POLL_SECONDS = 20;
/** 90-day certificates renewed at day 60: half a renewal per certificate per month. */
const RENEWALS_PER_CERT_MONTH = 0.5;
/** The renewer's schedule (cdk/renewer.ts: cron 17 5,17 * * ? *) and memory (1024 MB). */
const SCHEDULED_RUNS_MONTH = 60;
const RENEWER_GB = 1;
/** Estimates per scheduled run and per renewal (single-name certificate, PEM + JKS keystores). */
const PER_RUN = { baseSeconds: 2, readsPerCertificate: 1 };
const PER_RENEWAL = {
  renewerSeconds: 5,
  s3Put: 6, // 5 PEM objects + 1 JKS
  s3Get: 1, // the ACME account key
  writes: 10, // lease take/release, challenge put/delete, revision + state publish (transactional), window
  reads: 5,
  snsPublish: 1,
  /** HTTP-01 validations answered by the responder Lambda (multi-perspective validation), 128 MB, 50 ms. */
  responderInvocations: 4,
  responderGbSeconds: 4 * 0.125 * 0.05,
};
/** Per node per renewal: one SQS delivery + delete, 3 S3 GETs (fullchain, privkey, combined), rollout and status records. */
const PER_NODE_RENEWAL = { sqs: 2, s3Get: 3, reads: 6, writes: 6 };

interface Breakdown {
  dynamodb: number;
  sqs: number;
  s3: number;
  sns: number;
  lambda: number;
  kms: number;
}

function monthly(certificates: number, nodes: number, reconcileGetItems: number): Breakdown {
  const renewals = certificates * RENEWALS_PER_CERT_MONTH;
  const reconciles = certificates * nodes * (SECONDS_PER_MONTH / RECONCILE_SECONDS);
  const reconcileReads = reconciles * reconcileGetItems;
  const receives = nodes * (SECONDS_PER_MONTH / LONG_POLL_SECONDS);
  const reads =
    reconcileReads +
    SCHEDULED_RUNS_MONTH * certificates * PER_RUN.readsPerCertificate +
    renewals * (PER_RENEWAL.reads + nodes * PER_NODE_RENEWAL.reads);
  const writes =
    reconciles * HEARTBEAT_WRITES_PER_RECONCILE +
    renewals * (PER_RENEWAL.writes + nodes * PER_NODE_RENEWAL.writes);
  const gbSeconds =
    SCHEDULED_RUNS_MONTH * PER_RUN.baseSeconds * RENEWER_GB +
    renewals * (PER_RENEWAL.renewerSeconds * RENEWER_GB + PER_RENEWAL.responderGbSeconds);
  return {
    dynamodb: reads * PRICE.dynamoRead + writes * PRICE.dynamoWrite,
    sqs: (receives + renewals * nodes * PER_NODE_RENEWAL.sqs) * PRICE.sqs,
    s3:
      renewals * PER_RENEWAL.s3Put * PRICE.s3Put +
      renewals * (PER_RENEWAL.s3Get + nodes * PER_NODE_RENEWAL.s3Get) * PRICE.s3Get,
    sns: renewals * PER_RENEWAL.snsPublish * PRICE.snsPublish,
    lambda:
      (SCHEDULED_RUNS_MONTH + renewals * PER_RENEWAL.responderInvocations) * PRICE.lambdaRequest +
      gbSeconds * PRICE.lambdaGbSecond,
    kms: PRICE.kmsKey,
  };
}

const usd = (x: number) => (x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(3)}`);

export const costModel: BenchSuite = {
  id: 'cost-model',
  title: 'Cost model: monthly AWS cost (model, not measured)',
  target:
    'issue 19: 100 certificates × 50 nodes idle ≤ $4.50/month; the formula and prices are stated so the figures can be checked (issue 9)',
  async run() {
    const measured = idleObservation.reconcileGetItems;
    const reconcileGetItems = measured ?? 2;
    const rows: string[][] = [];
    const raw: Record<string, Breakdown & { total: number }> = {};
    for (const certificates of [10, 100, 1000]) {
      for (const nodes of [5, 50, 500]) {
        const b = monthly(certificates, nodes, reconcileGetItems);
        const total = b.dynamodb + b.sqs + b.s3 + b.sns + b.lambda + b.kms;
        raw[`${certificates}x${nodes}`] = { ...b, total };
        rows.push([
          `${certificates} certificates × ${nodes} nodes (model, not measured)`,
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
    const perNode = monthly(1, 1, reconcileGetItems).sqs;
    return {
      columns: ['case', 'DynamoDB', 'SQS', 'S3', 'SNS', 'Lambda', 'KMS', 'total / month'],
      rows,
      verdict:
        `Model, not measured. The bill is driven by the fleet at idle, not by renewals: each node's 20 s long poll costs ${usd(perNode)}/month in SQS, and each ` +
        `certificate on each node ${(SECONDS_PER_MONTH / RECONCILE_SECONDS) * reconcileGetItems} reconcile reads and ${(SECONDS_PER_MONTH / RECONCILE_SECONDS) * HEARTBEAT_WRITES_PER_RECONCILE} heartbeat writes a month ` +
        `(a write costs five reads: the heartbeat is most of the DynamoDB bill; until 2026-12-06 this model left it out and showed under a third of the DynamoDB cost); ` +
        `1,000 certificates on 500 nodes (every node serving every certificate) comes to ${worst ? usd(worst.total) : 'n/a'} a month, mostly DynamoDB heartbeat writes and reconcile reads. ` +
        `Issue 19's idle target (100 × 50 ≤ $4.50) is MISSED: ${usd(raw['100x50']?.total ?? Number.NaN)}. What it would take: a heartbeat every other reconcile (REPORT_REFRESH_MS over 15 min, with the silence threshold raised to match), ` +
        `and one read per node per reconcile for all its certificates (a head item of current revisions) instead of ${reconcileGetItems} per certificate; remembering the node's own reports halves the reads but then a report another writer left in the table is only corrected at the next heartbeat (tried on 2026-12-06, test/fault/sns-outage.test.ts caught it; kept off main).`,
      method:
        `Prices (USD, us-east-1, on-demand, free tiers left out): DynamoDB $0.125 per million read units, $0.625 per million write units; SQS $0.40 per million requests; ` +
        `S3 $0.005 per 1,000 PUT, $0.0004 per 1,000 GET; SNS $0.50 per million publishes; Lambda $0.20 per million requests + $0.0000166667 per GB-s; KMS $1 per key-month ` +
        `(S3 Bucket Key on, so per-object KMS requests are left out; storage of a few KiB per certificate is left out). ` +
        `Per month (30 days), C certificates, N nodes, every node serving every certificate, R = 0.5·C renewals (90-day certificates renewed at day 60): ` +
        `DynamoDB reads = C·N·2,880·g (reconcile every 900 s, g = ${reconcileGetItems} GetItem per reconcile${measured !== undefined ? ', as counted by the agent-footprint suite in this run' : ' (the status and state items; agent-footprint did not run first)'}) ` +
        `+ 60·C (the renewer's twice-daily scheduled run reads each state item) + R·(${PER_RENEWAL.reads} + ${PER_NODE_RENEWAL.reads}·N); ` +
        `DynamoDB writes = C·N·2,880·${HEARTBEAT_WRITES_PER_RECONCILE} (the status heartbeat: a report is rewritten once ${REPORT_REFRESH_MS / 60_000} min old, so at every ${Math.ceil(REPORT_REFRESH_MS / (RECONCILE_SECONDS * 1000))}. reconcile) + R·(${PER_RENEWAL.writes} + ${PER_NODE_RENEWAL.writes}·N) (lease, challenge, revision and state; per node rollout join, slot, status); ` +
        `SQS = N·129,600 ReceiveMessage (20 s long polls) + R·N·${PER_NODE_RENEWAL.sqs} (delivery, delete); S3 = R·${PER_RENEWAL.s3Put} PUT + R·(${PER_RENEWAL.s3Get} + ${PER_NODE_RENEWAL.s3Get}·N) GET; SNS = R publishes; ` +
        `Lambda = 60 scheduled runs × ${PER_RUN.baseSeconds} s × ${RENEWER_GB} GB + R·(${PER_RENEWAL.renewerSeconds} s × ${RENEWER_GB} GB renewer + ${PER_RENEWAL.responderInvocations} responder invocations at 128 MB × 50 ms). ` +
        `The per-renewal counts are estimates read from the code paths, not counted; the idle counts (long polls, reconciles) follow from the design and agree with agent-footprint's proxy counts.`,
      raw: { prices: PRICE, reconcileGetItems, reconcileGetItemsMeasured: measured ?? null, results: raw },
    };
  },
};
