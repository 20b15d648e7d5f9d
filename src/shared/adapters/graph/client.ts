import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { once } from '../../lazy';
import { classifyGraphFailure, GraphErrorBody, GraphRequestError } from './errors';

/*
 * The Graph SDK (and the backoff) load when the first GraphApi is made (a step's first Graph call), not with the
 * module: every function file reaches this module through the composition root, and only some functions call Graph.
 */
type GraphSdk = typeof import('@microsoft/microsoft-graph-client');
type GraphAuth = typeof import('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials');
type Backoff = typeof import('exponential-backoff');
interface GraphModules {
  sdk: GraphSdk;
  auth: GraphAuth;
  backoff: Backoff;
}
const loadGraphModules = once((): GraphModules => ({
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy on purpose (see above) */
  sdk: require('@microsoft/microsoft-graph-client') as GraphSdk,
  auth: require('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials') as GraphAuth,
  backoff: require('exponential-backoff') as Backoff,
  /* eslint-enable @typescript-eslint/no-require-imports */
}));

export interface GraphCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** Path below the version segment, e.g. `/applications(uniqueName='x')`. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The caller knows the object exists (it just created it): a 404 is replication lag and is retried. */
  expectExisting?: boolean;
}

export interface GraphAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface GraphRetryOptions {
  /** How long one call keeps retrying transient answers. */
  maxMs: number;
  startingDelayMs?: number;
  maxDelayMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Microsoft Graph for one tenant, through @microsoft/microsoft-graph-client. The client's own RetryHandler is left
 * out of the middleware chain: this class retries, because only it knows which answers are Graph's replication
 * lag; throttling honours Retry-After; everything is bounded by `maxMs` (then the queue's retry takes over).
 */
export class GraphApi {
  readonly #client: Client;
  readonly #modules: GraphModules;
  /** Calls sent (attempts included), for diagnostics and benchmarks. */
  calls = 0;

  constructor(
    credential: TokenCredential,
    readonly endpoint: string,
    scope: string,
    private readonly retry: GraphRetryOptions,
  ) {
    this.#modules = loadGraphModules();
    const { sdk, auth: authProviders } = this.#modules;
    const { AuthenticationHandler, Client, HTTPMessageHandler, RedirectHandler, TelemetryHandler } = sdk;
    const authProvider = new authProviders.TokenCredentialAuthenticationProvider(credential, { scopes: [scope] });
    const auth = new AuthenticationHandler(authProvider);
    const redirect = new RedirectHandler();
    const telemetry = new TelemetryHandler();
    const http = new HTTPMessageHandler();
    auth.setNext(redirect);
    redirect.setNext(telemetry);
    telemetry.setNext(http);
    const host = new URL(endpoint).hostname;
    this.#client = Client.initWithMiddleware({
      middleware: auth,
      baseUrl: endpoint,
      defaultVersion: 'v1.0',
      customHosts: new Set([host]),
    });
  }

  /** One attempt; a non-2xx answer or a network failure becomes a classified GraphRequestError. */
  async #attempt<T>(call: GraphCall): Promise<GraphAnswer<T>> {
    this.calls++;
    let response: Response;
    try {
      let request = this.#client.api(call.path).responseType(this.#modules.sdk.ResponseType.RAW);
      if (call.headers) request = request.headers(call.headers);
      const raw: unknown =
        call.method === 'GET'
          ? await request.get()
          : call.method === 'POST'
            ? await request.post(call.body ?? {})
            : call.method === 'PATCH'
              ? await request.patch(call.body ?? {})
              : call.method === 'PUT'
                ? await request.put(call.body ?? {})
                : await request.delete();
      response = raw as Response;
    } catch (cause) {
      throw classifyGraphFailure({ status: 0, body: undefined, method: call.method, path: call.path, cause });
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      throw classifyGraphFailure({
        status: response.status,
        body: parsed as GraphErrorBody,
        headers: response.headers,
        method: call.method,
        path: call.path,
        expectExisting: call.expectExisting,
      });
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** Sends a call, retrying Graph's transient answers with exponential backoff and full jitter, within maxMs. */
  async send<T = unknown>(call: GraphCall): Promise<GraphAnswer<T>> {
    const started = Date.now();
    const { maxMs, startingDelayMs = 250, maxDelayMs = 15_000 } = this.retry;
    return this.#modules.backoff.backOff(() => this.#attempt<T>(call), {
      numOfAttempts: 1000, // bounded by time below
      startingDelay: startingDelayMs,
      timeMultiple: 2,
      maxDelay: maxDelayMs,
      jitter: 'full',
      retry: async (err: unknown) => {
        if (!(err instanceof GraphRequestError) || !err.transient) return false;
        const waited = Date.now() - started;
        if (waited >= maxMs) return false;
        if (err.retryAfterMs !== undefined) {
          if (waited + err.retryAfterMs > maxMs) return false;
          await sleep(err.retryAfterMs);
        }
        return true;
      },
    });
  }
}
