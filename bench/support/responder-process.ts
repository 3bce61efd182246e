/**
 * BENCHMARK HELPER: the node responder in a process of its own, as an agent runs it (the bench
 * process also runs the embedded stack, whose event loop would share the responder's). Run with
 * `node --import tsx`; it answers from the table named by the environment and prints its port.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChallengeStore } from '../../adapters/aws/dynamo-challenge-store.ts';
import { startChallengeResponder } from '../../adapters/http/challenge-responder.ts';
import { systemClock } from '../../core/ports/clock.ts';

const { BENCH_DYNAMODB_ENDPOINT: endpoint, BENCH_TABLE: table, AWS_REGION: region } = process.env;
if (!endpoint || !table) throw new Error('BENCH_DYNAMODB_ENDPOINT and BENCH_TABLE are required');
const documents = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } }),
);
const responder = await startChallengeResponder({
  store: new DynamoChallengeStore(documents, table, systemClock),
});
process.stdout.write(`${responder.port}\n`);
process.on('SIGTERM', () => {
  void responder.stop().then(() => process.exit(0));
});
