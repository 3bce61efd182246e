/**
 * The embedded stack: the whole AWS-shaped system on one machine. Pebble (with its DNS stub and a
 * DynamoDB-backed HTTP-01 responder), dynalite, s3rver, local-aws-sqs and the SNS stand-in, on
 * free 127.0.0.1 ports, with the table, bucket, topic and node queues created; on request the
 * Route 53 stand-in, whose zones the DNS stub answers TXT and CNAME questions from. Used by
 * `acme-ha local up`, the demo and the integration tests alike.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChallengeStore } from '../adapters/aws/dynamo-challenge-store.ts';
import {
  type ChallengeRequest,
  type ChallengeResponder,
  startChallengeResponder,
} from '../adapters/http/challenge-responder.ts';
import { systemClock } from '../core/ports/clock.ts';
import { type ResourceNames, resourceNames } from '../core/resource-layout.ts';
import {
  createLocalClients,
  type LocalClientConfigs,
  type LocalEndpoints,
  localClientConfigs,
  localClientEnv,
  localDynamoDbConfig,
  localSqsConfig,
} from './client-config.ts';
import { startDnsStub } from './dns.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from './dynamodb.ts';
import { LocalStackError } from './local-stack-error.ts';
import { type PebbleOptions, type PebbleServer, startPebble } from './pebble.ts';
import { type CreatedResources, createResources, type NodeQueueRequest } from './resources.ts';
import { type Route53StandIn, type Route53StandInOptions, startRoute53StandIn } from './route53-standin.ts';
import { startLocalS3 } from './s3.ts';
import { type DeliveryFailure, type SnsStandIn, startSnsStandIn } from './sns-standin.ts';
import { type LocalSqs, startLocalSqs } from './sqs.ts';

export type StackComponent =
  | 'dns'
  | 'pebble'
  | 'responder'
  | 'dynamodb'
  | 's3'
  | 'sqs'
  | 'sns'
  | 'route53'
  | 'resources';

/** One step of starting or stopping, for progress output. */
export interface StackProgress {
  readonly component: StackComponent;
  readonly phase: 'starting' | 'ready' | 'stopping' | 'stopped' | 'failed';
  /** Time the step took (ready, stopped). */
  readonly ms?: number;
  /** Endpoint or other one-line detail. */
  readonly detail?: string;
}

/** Pebble settings of the stack; the DNS server and environment come from the stack. */
export type StackPebbleOptions = Omit<PebbleOptions, 'httpPort' | 'dnsServer' | 'env' | 'onProgress'> & {
  /**
   * Where Pebble sends HTTP-01 requests. When set, the stack's own responder is not started.
   * @default the port of the stack's DynamoDB-backed responder
   */
  readonly httpPort?: number;
  /**
   * Names the DNS stub resolves to another loopback address than 127.0.0.1, so that Pebble's
   * validation requests for them reach whatever listens there on `httpPort`.
   */
  readonly hosts?: Readonly<Record<string, string>>;
};

export interface LocalStackOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * Resource name prefix; tests sharing one stack use their own for isolation.
   * @default 'acme-ha'
   */
  readonly prefix?: string;
  /**
   * Nodes whose queue pairs are created and subscribed to the topic.
   * @default none
   */
  readonly nodes?: readonly (string | NodeQueueRequest)[];
  /**
   * Pebble with its DNS stub and responder; `false` leaves the ACME side out.
   * @default true
   */
  readonly pebble?: boolean | StackPebbleOptions;
  /**
   * The Route 53 stand-in, for DNS-01: the DNS stub Pebble asks answers TXT and CNAME questions
   * from its zones (changes show once INSYNC), and `AWS_ENDPOINT_URL_ROUTE_53` points at it.
   * @default false
   */
  readonly route53?: boolean | Route53StandInOptions;
  /**
   * The caller's environment; its PEBBLE_* variables reach Pebble.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /** LevelDB directory for DynamoDB data that survives restarts; in memory when absent. */
  readonly dynamodbPath?: string;
  /** Directory for S3 objects that survive restarts; temporary when absent. */
  readonly s3Directory?: string;
  readonly onProgress?: (event: StackProgress) => void;
  /** Each HTTP-01 request the stack's responder answered. */
  readonly onChallengeRequest?: (event: ChallengeRequest) => void;
  /** Each SNS delivery that failed. */
  readonly onDeliveryError?: (failure: DeliveryFailure) => void;
  /** Setup lines such as a one-time package install. */
  readonly onSetup?: (line: string) => void;
}

export interface LocalStackEndpoints extends LocalEndpoints {
  /** ACME directory URL (absent without Pebble). */
  readonly acmeDirectory?: string;
  /** Pebble's management interface (roots, intermediates). */
  readonly pebbleManagement?: string;
  /** `host:port` of the DNS stub (UDP). */
  readonly dns?: string;
  /** The DynamoDB-backed HTTP-01 responder. */
  readonly challengeResponder?: string;
  /** The Route 53 stand-in (absent unless asked for). */
  readonly route53?: string;
}

export interface LocalStack {
  readonly region: string;
  readonly names: ResourceNames;
  readonly resources: CreatedResources;
  readonly endpoints: LocalStackEndpoints;
  /** Environment variables a client process needs (AWS_ENDPOINT_URL_*, region, credentials, …). */
  readonly env: Readonly<Record<string, string>>;
  /** SDK client configs for code in this process. */
  readonly clientConfigs: LocalClientConfigs;
  readonly pebble: PebbleServer | undefined;
  readonly responder: ChallengeResponder | undefined;
  /** The Route 53 stand-in (its `records()` is what the DNS stub answers). */
  readonly route53: Route53StandIn | undefined;
  /** Wall time of startLocalStack. */
  readonly startedInMs: number;
  /** Stops every server and child process; idempotent. */
  stop(): Promise<void>;
}

interface Running {
  readonly component: StackComponent;
  stop(): Promise<void>;
}

/**
 * Starts every part on free ports, in parallel where the parts do not depend on each other, and
 * creates the resources. On any failure it stops what did start before rethrowing.
 * @throws MissingToolError when Pebble or openssl is missing and cannot be installed
 * @throws LocalStackError when a server fails to start
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const began = performance.now();
  const region = options.region ?? 'us-east-1';
  const names = resourceNames(options.prefix);
  const progress = options.onProgress ?? (() => {});
  const pebbleOptions =
    options.pebble === false ? undefined : options.pebble === true ? {} : (options.pebble ?? {});
  const route53Options =
    options.route53 === true ? {} : options.route53 === false ? undefined : options.route53;
  const running: Running[] = [];

  const step = async <T extends { stop(): Promise<void> }>(
    component: StackComponent,
    start: () => Promise<T>,
    detail: (server: T) => string,
  ): Promise<T> => {
    progress({ component, phase: 'starting' });
    const t0 = performance.now();
    try {
      const server = await start();
      running.push({ component, stop: () => server.stop() });
      progress({ component, phase: 'ready', ms: performance.now() - t0, detail: detail(server) });
      return server;
    } catch (error) {
      progress({ component, phase: 'failed', detail: (error as Error).message.split('\n')[0] ?? '' });
      throw error;
    }
  };

  const dynamodb = step(
    'dynamodb',
    () => startLocalDynamoDb(pathOption(options.dynamodbPath)),
    (s) => s.endpoint,
  );
  const s3 = step(
    's3',
    () => startLocalS3(directoryOption(options.s3Directory)),
    (s) => s.endpoint,
  );
  const sqs = step(
    'sqs',
    () => startLocalSqs({ region }),
    (s) => s.endpoint,
  );
  const sns = sqs.then((queues) =>
    step(
      'sns',
      () => startSnsWithClient(queues, region, options.onDeliveryError),
      (s) => s.endpoint,
    ),
  );
  const route53 = route53Options
    ? step(
        'route53',
        () => startRoute53StandIn(route53Options),
        (s) => s.endpoint,
      )
    : undefined;
  // With Route 53, the DNS stub answers TXT and CNAME questions from the stand-in's zones.
  const hosts = pebbleOptions?.hosts ?? {};
  const startDns = (standIn?: Route53StandIn) =>
    step(
      'dns',
      () => startDnsStub({ hosts, ...(standIn ? { records: standIn.records } : {}) }),
      (s) => `udp://${s.address}`,
    );
  const dns = pebbleOptions ? (route53 ? route53.then(startDns) : startDns()) : undefined;
  const responder =
    pebbleOptions && pebbleOptions.httpPort === undefined
      ? dynamodb.then((table) =>
          step(
            'responder',
            () => startResponderWithClient(table, region, names.table.name, options.onChallengeRequest),
            (s) => s.url,
          ),
        )
      : undefined;
  const pebble =
    pebbleOptions && dns
      ? Promise.all([dns, responder]).then(([stub, http]) => {
          const { httpPort, hosts: _hosts, ...rest } = pebbleOptions;
          return step(
            'pebble',
            () =>
              startPebble({
                ...rest,
                httpPort: httpPort ?? http?.port ?? 80,
                dnsServer: stub.address,
                env: options.env ?? process.env,
                ...(options.onSetup ? { onProgress: options.onSetup } : {}),
              }),
            (s) => s.directoryUrl,
          );
        })
      : undefined;
  const created = Promise.all([dynamodb, s3, sqs, sns]).then(async ([table, objects, queues, topics]) => {
    const endpoints = {
      dynamodb: table.endpoint,
      s3: objects.endpoint,
      sqs: queues.endpoint,
      sns: topics.endpoint,
    };
    const configs = localClientConfigs(endpoints, region);
    progress({ component: 'resources', phase: 'starting' });
    const t0 = performance.now();
    const clients = createLocalClients(configs);
    try {
      const resources = await createResources(clients, names, options.nodes ?? []);
      progress({
        component: 'resources',
        phase: 'ready',
        ms: performance.now() - t0,
        detail: `table ${resources.tableName}, bucket ${resources.bucket}, topic ${names.topic}, ${Object.keys(resources.queues).length} node queue(s)`,
      });
      return { endpoints, configs, resources };
    } catch (error) {
      progress({
        component: 'resources',
        phase: 'failed',
        detail: (error as Error).message.split('\n')[0] ?? '',
      });
      throw error;
    } finally {
      clients.destroy();
    }
  });

  const all = [dynamodb, s3, sqs, sns, route53, dns, responder, pebble, created];
  const stop = stopper(running, progress);
  try {
    const [{ endpoints, configs, resources }, acme, dnsStub, http, route53StandIn] = await Promise.all([
      created,
      pebble,
      dns,
      responder,
      route53,
    ]);
    const stackEndpoints: LocalStackEndpoints = {
      ...endpoints,
      ...(acme ? { acmeDirectory: acme.directoryUrl, pebbleManagement: acme.managementUrl } : {}),
      ...(dnsStub ? { dns: dnsStub.address } : {}),
      ...(http ? { challengeResponder: http.url } : {}),
      ...(route53StandIn ? { route53: route53StandIn.endpoint } : {}),
    };
    return {
      region,
      names,
      resources,
      endpoints: stackEndpoints,
      env: {
        ...localClientEnv(endpoints, region),
        ACME_HA_TABLE: resources.tableName,
        ACME_HA_BUCKET: resources.bucket,
        ACME_HA_TOPIC_ARN: resources.topicArn,
        // ACME_HA_CA_BUNDLE is what `acme-ha renew` trusts for the CA's HTTPS (Pebble's listener CA).
        ...(acme ? { ACME_HA_ACME_DIRECTORY_URL: acme.directoryUrl, ACME_HA_CA_BUNDLE: acme.caFile } : {}),
        ...(route53StandIn ? { AWS_ENDPOINT_URL_ROUTE_53: route53StandIn.endpoint } : {}),
      },
      clientConfigs: configs,
      pebble: acme,
      responder: http,
      route53: route53StandIn,
      startedInMs: performance.now() - began,
      stop,
    };
  } catch (error) {
    // Let the parts still starting finish, so that they can be stopped too.
    await Promise.allSettled(all);
    await stop().catch(() => {});
    throw error;
  }
}

function stopper(running: readonly Running[], progress: (event: StackProgress) => void): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      const results = await Promise.allSettled(
        [...running].reverse().map(async ({ component, stop }) => {
          progress({ component, phase: 'stopping' });
          const t0 = performance.now();
          await stop();
          progress({ component, phase: 'stopped', ms: performance.now() - t0 });
        }),
      );
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (failures.length > 0) {
        throw new LocalStackError('stack', `${failures.length} part(s) did not stop cleanly`, {
          cause: new AggregateError(failures),
        });
      }
    })();
    return stopping;
  };
}

/** The stand-in with its own SQS client, destroyed when it stops. */
async function startSnsWithClient(
  queues: LocalSqs,
  region: string,
  onDeliveryError?: (failure: DeliveryFailure) => void,
): Promise<SnsStandIn> {
  const sqs = new SQSClient(localSqsConfig(queues.endpoint, region));
  try {
    const standIn = await startSnsStandIn({
      sqs,
      region,
      accountId: queues.accountId,
      ...(onDeliveryError ? { onDeliveryError } : {}),
    });
    return {
      ...standIn,
      stop: async () => {
        await standIn.stop();
        sqs.destroy();
      },
    };
  } catch (error) {
    sqs.destroy();
    throw error;
  }
}

/**
 * The node responder (agent/responder/) over the stack's table, through the same DynamoChallengeStore
 * as the agent's lookup mode, with its own DynamoDB client, destroyed when it stops.
 */
async function startResponderWithClient(
  table: LocalDynamoDb,
  region: string,
  tableName: string,
  onRequest?: (event: ChallengeRequest) => void,
): Promise<ChallengeResponder> {
  const dynamodb = new DynamoDBClient(localDynamoDbConfig(table.endpoint, region));
  try {
    const responder = await startChallengeResponder({
      store: new DynamoChallengeStore(DynamoDBDocumentClient.from(dynamodb), tableName, systemClock),
      ...(onRequest ? { onRequest } : {}),
    });
    return {
      ...responder,
      stop: async () => {
        await responder.stop();
        dynamodb.destroy();
      },
    };
  } catch (error) {
    dynamodb.destroy();
    throw new LocalStackError('responder', (error as Error).message, { cause: error });
  }
}

function pathOption(path: string | undefined): { path?: string } {
  return path === undefined ? {} : { path };
}

function directoryOption(directory: string | undefined): { directory?: string } {
  return directory === undefined ? {} : { directory };
}
