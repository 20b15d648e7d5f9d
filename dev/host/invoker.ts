import { randomBytes, randomUUID } from 'node:crypto';
import type {
  CoreInvocationContext,
  CoreRegistry,
  RegisteredFunction,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcTypedData,
} from './core-api';
import { describeError, HostLogger } from './logger';

export interface InvocationInput {
  /** Trigger (and input binding) data, by binding name. */
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number };
  /** Shown in the "Executing" log line, e.g. "This function was programmatically called via the host APIs." */
  reason: string;
}

export type InvocationOutcome =
  | { ok: true; invocationId: string; response: RpcInvocationResponse; durationMs: number }
  | { ok: false; invocationId: string; error: unknown; durationMs: number };

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`Timeout value of ${timeoutMs} ms was exceeded by function: Functions.${functionName}`);
  }
}

/**
 * Runs one invocation the way the Node.js worker does: InvocationModel.getArguments → preInvocation hooks →
 * invokeFunction → postInvocation hooks → getResponse, with the host's functionTimeout.
 */
export class Invoker {
  readonly #appHookData: Record<string, unknown> = {};
  #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly registry: CoreRegistry,
    private readonly logger: HostLogger,
    private readonly functionTimeoutMs: number | undefined,
  ) {}

  get appHookData(): Record<string, unknown> {
    return this.#appHookData;
  }

  /** Number of invocations running now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves when every running invocation has finished. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> {
    const p = this.#run(fn, input);
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
    return p;
  }

  async #run(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> {
    const model = this.registry.programmingModel;
    if (!model) throw new Error('the app did not set a programming model (is @azure/functions loaded?)');
    const invocationId = randomUUID();
    const name = fn.metadata.name;
    const started = Date.now();
    this.logger.info(`Executing 'Functions.${name}' (Reason='${input.reason}', Id=${invocationId})`);

    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: fn.id,
        inputData: input.inputData,
        triggerMetadata: input.triggerMetadata ?? {},
        retryContext: input.retryContext ?? null,
        traceContext: {
          traceParent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
          traceState: '',
          attributes: {},
        },
      },
      metadata: { ...fn.metadata, functionId: fn.id },
      log: (level, category, message) => {
        this.logger.log(level, message);
        for (const hook of this.registry.hooks.log) {
          try {
            void hook({ hookData: {}, level, category, message, invocationContext: undefined });
          } catch {
            // a failing log hook must not break logging
          }
        }
      },
    };

    try {
      const invocationModel = model.getInvocationModel(coreCtx);
      coreCtx.state = 'preInvocationHooks';
      const { context, inputs: initialInputs } = await invocationModel.getArguments();
      const hookData: Record<string, unknown> = {};
      const pre: Record<string, unknown> = {
        hookData,
        appHookData: this.#appHookData,
        invocationContext: context,
        inputs: initialInputs,
        functionCallback: fn.callback,
      };
      for (const hook of this.registry.hooks.preInvocation) await hook(pre);

      coreCtx.state = 'invocation';
      let result: unknown;
      let error: unknown;
      try {
        const run = invocationModel.invokeFunction(
          context,
          pre.inputs as unknown[],
          pre.functionCallback as RegisteredFunction['callback'],
        );
        result = await this.#withTimeout(run, name);
      } catch (err) {
        error = err;
      }

      coreCtx.state = 'postInvocationHooks';
      const post: Record<string, unknown> = {
        hookData,
        appHookData: this.#appHookData,
        invocationContext: context,
        inputs: pre.inputs,
        result,
        error,
      };
      for (const hook of this.registry.hooks.postInvocation) await hook(post);
      coreCtx.state = undefined;
      if (post.error !== undefined) throw asError(post.error);

      const response = await invocationModel.getResponse(context, post.result);
      const durationMs = Date.now() - started;
      this.logger.info(`Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${durationMs}ms)`);
      return { ok: true, invocationId, response, durationMs };
    } catch (error) {
      const durationMs = Date.now() - started;
      this.logger.error(
        `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${durationMs}ms)\n${describeError(error)}`,
      );
      return { ok: false, invocationId, error, durationMs };
    }
  }

  async #withTimeout<T>(p: Promise<T>, name: string): Promise<T> {
    const ms = this.functionTimeoutMs;
    if (ms === undefined) return p;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new FunctionTimeoutError(name, ms)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}
