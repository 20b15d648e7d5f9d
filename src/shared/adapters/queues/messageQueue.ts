import type { QueueClient } from '@azure/storage-queue';

/**
 * A JSON message queue as the Functions queue trigger reads it: base64-encoded (host.json messageEncoding), one
 * JSON document per message. Messages carry ids only — never a secret.
 *
 * The client comes from `client()`, called once on first use (the composition root loads the Storage Queue SDK
 * there, so a worker that never sends a message never loads it).
 */
export class MessageQueue<T> {
  #ready: Promise<unknown> | undefined;
  #client: QueueClient | undefined;

  constructor(private readonly client: () => QueueClient) {}

  #queue(): QueueClient {
    this.#client ??= this.client();
    return this.#client;
  }

  get name(): string {
    return this.#queue().name;
  }

  async send(message: T, options: { delaySeconds?: number } = {}): Promise<void> {
    const client = this.#queue();
    this.#ready ??= client.createIfNotExists();
    await this.#ready;
    const text = Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
    await client.sendMessage(text, {
      ...(options.delaySeconds ? { visibilityTimeout: Math.min(Math.ceil(options.delaySeconds), 7 * 24 * 3600) } : {}),
    });
  }
}
