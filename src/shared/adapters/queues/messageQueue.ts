import type { QueueClient } from '@azure/storage-queue';

/**
 * A JSON message queue as the Functions queue trigger reads it: base64-encoded (host.json messageEncoding), one
 * JSON document per message. Messages carry ids only — never a secret.
 */
export class MessageQueue<T> {
  #ready: Promise<unknown> | undefined;

  constructor(private readonly client: QueueClient) {}

  get name(): string {
    return this.client.name;
  }

  async send(message: T, options: { delaySeconds?: number } = {}): Promise<void> {
    this.#ready ??= this.client.createIfNotExists();
    await this.#ready;
    const text = Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
    await this.client.sendMessage(text, {
      ...(options.delaySeconds ? { visibilityTimeout: Math.min(Math.ceil(options.delaySeconds), 7 * 24 * 3600) } : {}),
    });
  }
}
