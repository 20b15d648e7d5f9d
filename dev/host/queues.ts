import { DequeuedMessageItem, QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { RegisteredFunction, RpcBindingInfo, RpcInvocationResponse, RpcTypedData } from './core-api';
import type { Invoker } from './invoker';
import { describeError, HostLogger } from './logger';
import { QueueOptions, resolveAppSettingRefs } from './settings';

/** While a message is being processed it stays invisible this long (the Functions host uses 10 minutes). */
const PROCESSING_VISIBILITY_SECONDS = 600;
const MIN_POLL_MS = 100;

/** Resolves a binding's `connection` (default AzureWebJobsStorage) to a connection string from the settings. */
export function queueServiceFor(connection: unknown, env: NodeJS.ProcessEnv): QueueServiceClient {
  const name = typeof connection === 'string' && connection !== '' ? connection : 'AzureWebJobsStorage';
  const value = env[name] ?? env[`AzureWebJobs${name}`];
  if (!value) {
    throw new Error(
      `Storage connection '${name}' is not set. Put a connection string in local.settings.json Values.${name} ` +
        `(identity-based connections are not supported by the local host).`,
    );
  }
  return QueueServiceClient.fromConnectionString(value);
}

export function encodeMessage(text: string, encoding: QueueOptions['messageEncoding']): string {
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeMessage(raw: string, encoding: QueueOptions['messageEncoding']): string {
  if (encoding === 'none') return raw;
  if (raw.length % 4 !== 0 || !BASE64.test(raw)) {
    throw new Error(
      `Message decoding has failed! Check MessageEncoding settings. (host.json messageEncoding is base64; the message is not base64)`,
    );
  }
  return Buffer.from(raw, 'base64').toString('utf8');
}

/** Output binding values → queue message texts (an array sends one message per element, as the host does). */
export function outputMessages(data: RpcTypedData): string[] {
  if (typeof data.string === 'string') return [data.string];
  if (typeof data.json === 'string') {
    const parsed = JSON.parse(data.json) as unknown;
    return Array.isArray(parsed) ? parsed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : [data.json];
  }
  if (data.bytes) return [Buffer.from(data.bytes).toString('utf8')];
  if (typeof data.int === 'number') return [String(data.int)];
  if (typeof data.double === 'number') return [String(data.double)];
  if (data.collectionString?.string) return data.collectionString.string;
  return [];
}

function json(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

/** Writes a function's queue output bindings; `nudge` wakes this host's listener of that queue at once. */
export class QueueOutputs {
  readonly #clients = new Map<string, Promise<QueueClient>>();
  constructor(
    private readonly options: QueueOptions,
    private readonly env: NodeJS.ProcessEnv,
    private readonly nudge: (queueName: string) => void,
  ) {}

  /** Writes every queue output binding of a finished invocation (named outputs and `$return`). */
  async writeAll(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void> {
    const bindings = fn.metadata.bindings;
    const items = [...(response.outputData ?? [])];
    if (response.returnValue && bindings.$return) items.push({ name: '$return', data: response.returnValue });
    for (const item of items) {
      const binding = item.name ? bindings[item.name] : undefined;
      if (!binding || !item.data || binding.type?.toLowerCase() !== 'queue') continue;
      await this.write(binding, item.data);
    }
  }

  async write(binding: RpcBindingInfo, data: RpcTypedData): Promise<void> {
    const queueName = resolveAppSettingRefs(String(binding.queueName), this.env).toLowerCase();
    const key = `${typeof binding.connection === 'string' ? binding.connection : ''}|${queueName}`;
    let client = this.#clients.get(key);
    if (!client) {
      const c = queueServiceFor(binding.connection, this.env).getQueueClient(queueName);
      client = c.createIfNotExists().then(() => c);
      this.#clients.set(key, client);
    }
    const queue = await client;
    for (const text of outputMessages(data)) {
      await queue.sendMessage(encodeMessage(text, this.options.messageEncoding));
    }
    this.nudge(queueName);
  }
}

/**
 * Polls one queue for one queue-triggered function with the Functions host's semantics: batches of `batchSize`,
 * a new batch once in-flight work drops to `newBatchThreshold`, exponential backoff up to `maxPollingInterval`
 * when the queue is empty, `visibilityTimeout` before a failed message is retried, and after `maxDequeueCount`
 * failed attempts the raw message moves to `<queue>-poison` and is deleted.
 */
export class QueueListener {
  readonly queueName: string;
  readonly #queue: QueueClient;
  readonly #poison: QueueClient;
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #delayMs = MIN_POLL_MS;

  constructor(
    private readonly fn: RegisteredFunction,
    private readonly triggerName: string,
    binding: RpcBindingInfo,
    private readonly options: QueueOptions,
    private readonly invoker: Invoker,
    private readonly outputs: QueueOutputs,
    private readonly logger: HostLogger,
    env: NodeJS.ProcessEnv,
  ) {
    this.queueName = resolveAppSettingRefs(String(binding.queueName), env).toLowerCase();
    const service = queueServiceFor(binding.connection, env);
    this.#queue = service.getQueueClient(this.queueName);
    this.#poison = service.getQueueClient(`${this.queueName}-poison`);
  }

  get fnName(): string {
    return this.fn.metadata.name;
  }

  async start(): Promise<void> {
    await this.#queue.createIfNotExists();
    this.#loop = this.#run();
  }

  /** Polls at once (a message was just added by this host). */
  nudge(): void {
    this.#delayMs = MIN_POLL_MS;
    this.#wake?.();
  }

  /** Stops polling and waits for messages already received to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }

  async #run(): Promise<void> {
    const { batchSize, newBatchThreshold, maxPollingIntervalMs } = this.options;
    while (!this.#stopped) {
      if (this.#inFlight.size > newBatchThreshold) {
        await Promise.race([...this.#inFlight]);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        const response = await this.#queue.receiveMessages({
          numberOfMessages: batchSize,
          visibilityTimeout: PROCESSING_VISIBILITY_SECONDS,
        });
        messages = response.receivedMessageItems;
      } catch (err) {
        this.logger.warn(`Queue '${this.queueName}': polling failed: ${(err as Error).message}`);
      }
      if (this.#stopped) {
        // Received after stop was asked: make them visible again for the next host.
        await Promise.allSettled(
          messages.map((m) => this.#queue.updateMessage(m.messageId, m.popReceipt, undefined, 0)),
        );
        break;
      }
      if (messages.length === 0) {
        await this.#sleep(this.#delayMs);
        this.#delayMs = Math.min(maxPollingIntervalMs, Math.max(MIN_POLL_MS, this.#delayMs * 2));
        continue;
      }
      this.#delayMs = MIN_POLL_MS;
      for (const message of messages) {
        const p = this.#process(message).catch((err: unknown) =>
          this.logger.error(`Queue '${this.queueName}': ${describeError(err)}`),
        );
        this.#inFlight.add(p);
        void p.finally(() => this.#inFlight.delete(p));
      }
    }
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const { maxDequeueCount, messageEncoding, visibilityTimeoutMs } = this.options;
    // A message already over the limit (e.g. the host crashed while running it) goes straight to poison.
    if (message.dequeueCount > maxDequeueCount) return this.#toPoison(message);

    let text: string;
    let ok: boolean;
    let outputsFailed = false;
    try {
      text = decodeMessage(message.messageText, messageEncoding);
      const outcome = await this.invoker.invoke(this.fn, {
        inputData: [{ name: this.triggerName, data: { string: text } }],
        triggerMetadata: {
          QueueTrigger: { string: text },
          DequeueCount: json(message.dequeueCount),
          ExpirationTime: json(message.expiresOn.toISOString()),
          Id: { string: message.messageId },
          InsertionTime: json(message.insertedOn.toISOString()),
          NextVisibleTime: json(message.nextVisibleOn.toISOString()),
          PopReceipt: { string: message.popReceipt },
          sys: json({
            MethodName: this.fn.metadata.name,
            UtcNow: new Date().toISOString(),
            RandGuid: crypto.randomUUID(),
          }),
        },
        reason: `New queue message detected on '${this.queueName}'.`,
      });
      ok = outcome.ok;
      if (outcome.ok) {
        try {
          await this.outputs.writeAll(this.fn, outcome.response);
        } catch (err) {
          outputsFailed = true;
          this.logger.error(
            `Functions.${this.fn.metadata.name}: writing output bindings failed: ${describeError(err)}`,
          );
        }
      }
    } catch (err) {
      ok = false;
      this.logger.error(`Functions.${this.fn.metadata.name}: ${describeError(err)}`);
    }

    if (ok && !outputsFailed) {
      await this.#queue.deleteMessage(message.messageId, message.popReceipt);
      return;
    }
    if (message.dequeueCount >= maxDequeueCount) return this.#toPoison(message);
    await this.#queue.updateMessage(
      message.messageId,
      message.popReceipt,
      undefined,
      Math.ceil(visibilityTimeoutMs / 1000),
    );
  }

  async #toPoison(message: DequeuedMessageItem): Promise<void> {
    this.logger.warn(
      `Message has reached MaxDequeueCount of ${this.options.maxDequeueCount}. Moving message to queue '${this.queueName}-poison'.`,
    );
    await this.#poison.createIfNotExists();
    await this.#poison.sendMessage(message.messageText);
    await this.#queue.deleteMessage(message.messageId, message.popReceipt);
  }
}
