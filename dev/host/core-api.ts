import Module from 'node:module';

/**
 * The `@azure/functions-core` module that the Azure Functions Node.js worker gives the `@azure/functions`
 * library. The local host provides it before the app is loaded, exactly as the worker does, so the library
 * leaves test mode, hands us every registration with its binding metadata, and we invoke functions through the
 * library's own InvocationModel (same conversions of trigger data, metadata and return values as in Azure).
 *
 * The shapes below are the subset of the worker's RPC types that the library uses (@azure/functions 4.16.x).
 */

/** The @azure/functions version whose internals this host was verified against (see test/unit/host/library-pin). */
export const TESTED_FUNCTIONS_LIBRARY = '4.16.5';

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
  collectionString?: { string?: string[] | null } | null;
  collectionDouble?: { double?: number[] | null } | null;
  collectionSint64?: { sint64?: (number | string)[] | null } | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: { value?: string | null } | null;
  path?: { value?: string | null } | null;
  expires?: { value?: { seconds?: number | null; nanos?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: string | null;
  maxAge?: { value?: number | null } | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  identities?: unknown[] | null;
  cookies?: RpcHttpCookie[] | null;
}

export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  dataType?: string | null;
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

export interface RpcInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: RpcParameterBinding[] | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
  traceContext?: {
    traceParent?: string | null;
    traceState?: string | null;
    attributes?: Record<string, string> | null;
  };
  retryContext?: { retryCount?: number | null; maxRetryCount?: number | null } | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: FunctionMetadata & { functionId: string };
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: Record<string, unknown>) => unknown;

export class Disposable {
  #onDispose: (() => void) | undefined;
  constructor(onDispose: () => void) {
    this.#onDispose = onDispose;
  }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.#onDispose?.();
    this.#onDispose = undefined;
  }
}

export interface RegisteredFunction {
  id: string;
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** Everything the app registered while it loaded. */
export class CoreRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    appStart: [],
    appTerminate: [],
    preInvocation: [],
    postInvocation: [],
    log: [],
  };
  programmingModel: ProgrammingModel | undefined;
  /** After app startup the worker refuses new registrations; so do we. */
  sealed = false;
  #nextId = 0;

  constructor(private readonly systemLog: (level: RpcLogLevel, message: string) => void) {}

  /** The object handed out as `require('@azure/functions-core')`. */
  createModule(): Record<string, unknown> {
    return {
      version: '3.11.0',
      hostVersion: '4.1043.0',
      Disposable,
      registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback): Disposable => {
        if (this.sealed) throw new Error('A function can only be registered during app startup.');
        const key = metadata.name.toLowerCase();
        if (this.functions.has(key))
          throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
        this.functions.set(key, { id: `local-${++this.#nextId}`, metadata, callback });
        return new Disposable(() => this.functions.delete(key));
      },
      registerHook: (name: HookName, callback: HookCallback): Disposable => {
        const list = this.hooks[name];
        if (!list) throw new RangeError(`Unrecognized hook "${String(name)}"`);
        list.push(callback);
        return new Disposable(() => list.splice(list.indexOf(callback), 1));
      },
      setProgrammingModel: (model: ProgrammingModel): void => {
        this.programmingModel = model;
      },
      getProgrammingModel: (): ProgrammingModel | undefined => this.programmingModel,
      log: (level: RpcLogLevel, _category: RpcLogCategory, message: string): void => this.systemLog(level, message),
    };
  }
}

const CORE_MODULE = '@azure/functions-core';
let installed: Record<string, unknown> | undefined;

/**
 * Makes `require('@azure/functions-core')` return `coreModule` in this process, as the worker does by
 * wrapping Module.prototype.require. Call once, before loading the app.
 */
export function installCoreModule(coreModule: Record<string, unknown>): void {
  if (installed) throw new Error('@azure/functions-core is already installed in this process');
  installed = coreModule;
  const proto = Module.prototype as unknown as { require: (this: unknown, id: string) => unknown };
  const original = proto.require;
  proto.require = function (this: unknown, id: string): unknown {
    if (id === CORE_MODULE) return installed;
    return original.call(this, id);
  };
}
