import { QueueServiceClient } from '@azure/storage-queue';
import { FixtureApp, makeFixtureApp, RunningHost, startHost, waitFor } from '../../support/localHost';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('local host: storage queue triggers on Azurite', () => {
  let app: FixtureApp;
  let host: RunningHost;
  let service: QueueServiceClient;
  let failQueue: string;
  let workQueue: string;

  beforeAll(async () => {
    service = QueueServiceClient.fromConnectionString(process.env.TEST_AZURITE_CONNECTION_STRING!);
    app = makeFixtureApp({});
    workQueue = app.values.FIXTURE_WORK_QUEUE!;
    failQueue = app.values.FIXTURE_FAIL_QUEUE!;
    host = await startHost(app.dir);
  });

  afterAll(async () => {
    await host?.stop();
    app?.remove();
  });

  it('delivers a base64 JSON message to the handler as an object, with dequeueCount and id in its metadata', async () => {
    const queue = service.getQueueClient(workQueue);
    const sent = await queue.sendMessage(b64(JSON.stringify({ ticketId: 'T-1', n: 1 })));
    const entry = await waitFor(
      () => app.readLog().find((e) => e.fn === 'workItem' && (e.message as { ticketId?: string }).ticketId === 'T-1'),
      20_000,
      'the queue handler',
    );
    expect(entry.type).toBe('object');
    expect(entry.message).toEqual({ ticketId: 'T-1', n: 1 });
    const metadata = entry.metadata as Record<string, unknown>;
    expect(metadata.dequeueCount).toBe(1);
    expect(metadata.id).toBe(sent.messageId);
    expect(typeof metadata.insertionTime).toBe('string');
    expect(typeof metadata.popReceipt).toBe('string');
    // the library parses the QueueTrigger metadata string as JSON, as in Azure
    expect(metadata.queueTrigger).toEqual({ ticketId: 'T-1', n: 1 });
    // a handled message is deleted
    await waitFor(async () => (await queue.getProperties()).approximateMessagesCount === 0, 10_000, 'deletion');
  });

  it('moves a failing message to <queue>-poison after exactly maxDequeueCount (3) attempts, not before', async () => {
    const queue = service.getQueueClient(failQueue);
    const poison = service.getQueueClient(`${failQueue}-poison`);
    const raw = b64(JSON.stringify({ bad: true }));
    await queue.sendMessage(raw);

    const attempts = () => app.readLog().filter((e) => e.fn === 'alwaysFails');
    await waitFor(() => attempts().length >= 2, 20_000, 'two attempts');
    // After two failed attempts the message is still on its queue, not poisoned.
    expect(
      await poison.exists().then(async (e) => (e ? (await poison.peekMessages()).peekedMessageItems : [])),
    ).toEqual([]);

    const poisoned = await waitFor(
      async () => {
        if (!(await poison.exists())) return undefined;
        const items = (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems;
        return items.length ? items : undefined;
      },
      20_000,
      'the poison message',
    );
    expect(poisoned).toHaveLength(1);
    expect(poisoned[0]!.messageText).toBe(raw); // the raw message, still encoded
    expect(attempts().map((e) => e.dequeueCount)).toEqual([1, 2, 3]);
    // ...and it was deleted from the source queue
    await waitFor(async () => (await queue.getProperties()).approximateMessagesCount === 0, 10_000, 'deletion');
    await new Promise((r) => setTimeout(r, 1500));
    expect(attempts()).toHaveLength(3);
  });

  it('writes queue output bindings (HTTP → queue → queue trigger)', async () => {
    const res = await fetch(`${host.url}/api/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticketId: 'T-OUT' }),
    });
    expect(res.status).toBe(202);
    const entry = await waitFor(
      () => app.readLog().find((e) => (e.message as { ticketId?: string }).ticketId === 'T-OUT'),
      20_000,
      'the output message to be processed',
    );
    expect(entry.message).toEqual({ ticketId: 'T-OUT' });
  });

  it('fails a message that is not base64 when messageEncoding is base64', async () => {
    const queue = service.getQueueClient(failQueue);
    const poison = service.getQueueClient(`${failQueue}-poison`);
    const before = (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;
    await queue.sendMessage('{not base64}');
    await waitFor(
      async () => (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length === before + 1,
      20_000,
      'the undecodable message to be poisoned',
    );
    expect(host.output()).toContain('Message decoding has failed');
  });
});
