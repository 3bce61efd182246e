/**
 * Who gets a revision event, through the production publisher and the SNS stand-in's filter
 * policies, with each node subscribed as `cdk deploy` subscribes it (core/fleet-audience.ts): the
 * nodes of the certificate's groups, and the pushers of the DMZ instances it goes to — also when
 * the certificate is outside their own groups.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { SnsEventPublisher } from '../../../adapters/aws/sns-event-publisher.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import { nodeAudience } from '../../../core/fleet-audience.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';

const config = parseConfig(
  `version: 1
defaults: { directory: 'https://ca.invalid/dir' }
certificates:
  - { id: files, domains: [files.example.com], groups: [mft], dmz: [dmz-1], keystores: [{ format: pem }] }
  - { id: portal, domains: [portal.example.com], dmz: [dmz-1], keystores: [{ format: pem }] }
  - { id: web, domains: [www.example.com], groups: [web], keystores: [{ format: pem }] }
  - { id: solo, domains: [solo.example.com], nodes: [web-b], keystores: [{ format: pem }] }
nodes:
  - { id: mft-a, groups: [mft] }
  - { id: web-a, groups: [web] }
  - { id: web-b, groups: [web] }
  - { id: gateway, groups: [edge] }
dmz:
  - { id: dmz-1, url: 'https://dmz-1.example.com:8443', pushedBy: [gateway] }
`,
  'audience.yaml',
);

let stack: LocalStack;
let clients: AwsClients;

beforeAll(async () => {
  stack = await startLocalStack({
    pebble: false,
    prefix: 'audience',
    nodes: config.nodes.map((n) => ({ id: n.id, filterPolicy: { groups: nodeAudience(config, n.id) } })),
  });
  clients = createAwsClients(stack.clientConfigs);
});

afterAll(async () => {
  clients?.destroy();
  await stack?.stop();
});

async function certificatesHeardBy(nodeId: string): Promise<string[]> {
  const heard: string[] = [];
  for (;;) {
    const { Messages } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.queues[nodeId]?.url ?? '',
        WaitTimeSeconds: 1,
        MaxNumberOfMessages: 1,
      }),
    );
    const [message] = Messages ?? [];
    if (!message?.Body) return heard.sort();
    heard.push((JSON.parse(JSON.parse(message.Body).Message) as { certificateId: string }).certificateId);
  }
}

describe('revision events', () => {
  it('reach the nodes of the certificate’s groups, the nodes it names and the pushers of its DMZ instances, no one else', async () => {
    const publisher = new SnsEventPublisher(clients.sns, stack.resources.topicArn);
    for (const [revision, cert] of config.certificates.entries())
      await publisher.publish({
        type: 'certificate.revision_published',
        certificateId: cert.id,
        revision: revision + 1,
        groups: cert.groups,
        nodes: cert.nodes,
        dmz: cert.dmz,
      });
    expect(await certificatesHeardBy('mft-a')).toEqual(['files']);
    expect(await certificatesHeardBy('web-a')).toEqual(['web']);
    // Named alone ("Replicate?" unchecked): web-b hears of it, web-a in the same group does not.
    expect(await certificatesHeardBy('web-b')).toEqual(['solo', 'web']);
    expect(await certificatesHeardBy('gateway')).toEqual(['files', 'portal']);
  });
});
