import { timingSafeEqual } from 'node:crypto';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegisteredFunction, RpcHttpCookie, RpcHttpData, RpcInvocationResponse, RpcTypedData } from './core-api';
import type { Invoker } from './invoker';
import { describeError, HostLogger } from './logger';
import { CompiledRoute, comparePrecedence, compileRoute, matchRoute } from './routes';
import type { LocalSettings } from './settings';

type AuthLevel = 'anonymous' | 'function' | 'admin';

interface HttpFunction {
  fn: RegisteredFunction;
  triggerName: string;
  route: CompiledRoute;
  methods: Set<string> | undefined;
  authLevel: AuthLevel;
  outputName: string | undefined;
}

const MAX_REQUEST_BODY = 100 * 1024 * 1024; // the Functions host's default request size limit

export interface HttpFrontendOptions {
  routePrefix: string;
  settings: LocalSettings;
  /** Non-HTTP functions, invokable through `POST /admin/functions/{name}` like the real host. */
  invokeNonHttp: (fn: RegisteredFunction, input: string) => Promise<void>;
  /** Writes the invocation's non-HTTP output bindings (queues) before the response is sent. */
  writeOutputs: (fn: RegisteredFunction, response: RpcInvocationResponse) => Promise<void>;
}

function equalsConstantTime(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The HTTP side of the local host: route prefix, ASP.NET route templates with constraints, methods,
 * authLevel keys (`x-functions-key` header or `code` query), and conversion to and from the worker's RpcHttpData.
 */
export class HttpFrontend {
  readonly #functions: HttpFunction[] = [];
  readonly #all: RegisteredFunction[];
  #server: http.Server | undefined;

  constructor(
    functions: RegisteredFunction[],
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
    private readonly options: HttpFrontendOptions,
  ) {
    this.#all = functions;
    for (const fn of functions) {
      const entry = Object.entries(fn.metadata.bindings).find(([, b]) => b.type?.toLowerCase() === 'httptrigger');
      if (!entry) continue;
      const [triggerName, binding] = entry;
      const methods = Array.isArray(binding.methods)
        ? new Set((binding.methods as string[]).map((m) => m.toUpperCase()))
        : undefined;
      const authLevel = (typeof binding.authLevel === 'string' ? binding.authLevel : 'function').toLowerCase();
      if (authLevel !== 'anonymous' && authLevel !== 'function' && authLevel !== 'admin') {
        throw new Error(`function ${fn.metadata.name}: unsupported authLevel '${authLevel}'`);
      }
      const output = Object.entries(fn.metadata.bindings).find(
        ([, b]) => b.direction === 'out' && b.type?.toLowerCase() === 'http',
      );
      this.#functions.push({
        fn,
        triggerName,
        route: compileRoute(typeof binding.route === 'string' ? binding.route : fn.metadata.name),
        methods,
        authLevel,
        outputName: output?.[0],
      });
    }
    this.#functions.sort((a, b) => comparePrecedence(a.route, b.route));
  }

  /** `METHODS url` lines for the start-up banner, like Core Tools prints them. */
  describe(baseUrl: string): string[] {
    return this.#functions.map((f) => {
      const methods = f.methods ? [...f.methods].join(',') : 'ALL';
      const prefix = this.options.routePrefix ? `/${this.options.routePrefix}` : '';
      return `${f.fn.metadata.name}: [${methods}] ${baseUrl}${prefix}/${f.route.template.replace(/^\/+/, '')}`;
    });
  }

  async listen(port: number, host: string): Promise<number> {
    const server = http.createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.logger.error(`unhandled error in the local host: ${describeError(err)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`Port ${port} is unavailable (already in use). Close the process using it or use another port.`)
            : err,
        );
      });
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  /** Stops accepting connections; requests already received finish. */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  #keyOf(req: IncomingMessage, url: URL): string | undefined {
    const header = req.headers['x-functions-key'];
    return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? undefined;
  }

  #authorized(level: AuthLevel, functionName: string, key: string | undefined): boolean {
    const s = this.options.settings;
    if (level === 'anonymous' || !s.enforceAuthKeys) return true;
    if (!key) return false;
    const master = s.masterKey ? [s.masterKey] : [];
    const candidates =
      level === 'admin'
        ? master
        : [...master, ...Object.values(s.hostKeys), ...Object.values(s.functionKeys[functionName.toLowerCase()] ?? {})];
    return candidates.some((k) => equalsConstantTime(k, key));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = decodeURI(url.pathname).replace(/^\/+/, '');

    if (path.toLowerCase().startsWith('admin/')) return this.#admin(req, res, url, method, path);

    const prefix = this.options.routePrefix.toLowerCase();
    let rest: string;
    if (prefix === '') rest = url.pathname;
    else if (path.toLowerCase() === prefix || path.toLowerCase().startsWith(prefix + '/')) {
      rest = url.pathname.replace(/^\/+/, '').slice(prefix.length);
    } else return notFound(res);

    for (const f of this.#functions) {
      if (f.methods && !f.methods.has(method)) continue;
      const params = matchRoute(f.route, rest);
      if (!params) continue;
      if (!this.#authorized(f.authLevel, f.fn.metadata.name, this.#keyOf(req, url))) {
        res.writeHead(401, { 'content-length': 0 });
        res.end();
        return;
      }
      return this.#invokeHttp(f, req, res, url, method, params);
    }
    notFound(res);
  }

  async #invokeHttp(
    f: HttpFunction,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    params: Record<string, string>,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = await readRequestBody(req, MAX_REQUEST_BODY);
    } catch {
      res.writeHead(413, { 'content-length': 0 });
      res.end();
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const query: Record<string, string> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');

    const httpData: RpcHttpData = {
      method,
      url: url.toString(),
      headers,
      query,
      params,
      body: body.length ? { bytes: body } : null,
      identities: [],
    };
    const outcome = await this.invoker.invoke(f.fn, {
      inputData: [{ name: f.triggerName, data: { http: httpData } }],
      triggerMetadata: {
        Query: { json: JSON.stringify(query) },
        Headers: { json: JSON.stringify(headers) },
        ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { string: v }])),
      },
      reason: `This function was programmatically called via the host APIs.`,
    });
    let failed = !outcome.ok;
    if (outcome.ok) {
      try {
        await this.options.writeOutputs(f.fn, outcome.response);
      } catch (err) {
        failed = true;
        this.logger.error(`Functions.${f.fn.metadata.name}: writing output bindings failed: ${describeError(err)}`);
      }
    }
    if (!outcome.ok || failed) {
      res.writeHead(500, { 'content-length': 0 });
      res.end();
      return;
    }
    const data: RpcTypedData | null | undefined =
      f.outputName === '$return'
        ? outcome.response.returnValue
        : outcome.response.outputData?.find((o) => o.name === f.outputName)?.data;
    writeHttpResponse(res, data?.http ?? undefined);
  }

  async #admin(req: IncomingMessage, res: ServerResponse, url: URL, method: string, path: string): Promise<void> {
    if (!this.#authorized('admin', '', this.#keyOf(req, url))) {
      res.writeHead(401, { 'content-length': 0 });
      res.end();
      return;
    }
    if (method === 'GET' && path.toLowerCase() === 'admin/host/status') {
      return sendJson(res, 200, { state: 'Running', id: 'local', processUptime: Math.round(process.uptime() * 1000) });
    }
    const m = /^admin\/functions\/([^/]+)$/i.exec(path);
    if (m?.[1] && method === 'POST') {
      const fn = this.#all.find((x) => x.metadata.name.toLowerCase() === m[1]!.toLowerCase());
      if (!fn) return notFound(res);
      const raw = (await readRequestBody(req, MAX_REQUEST_BODY)).toString('utf8');
      let input = '';
      try {
        const parsed = raw ? (JSON.parse(raw) as { input?: unknown }) : {};
        input = typeof parsed.input === 'string' ? parsed.input : JSON.stringify(parsed.input ?? '');
      } catch {
        return sendJson(res, 400, { message: 'body must be JSON like {"input": "..."}' });
      }
      void this.options.invokeNonHttp(fn, input);
      res.writeHead(202, { 'content-length': 0 });
      res.end();
      return;
    }
    notFound(res);
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-length': 0 });
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function typedDataToBuffer(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === 'string') return Buffer.from(data.string);
  if (typeof data.json === 'string') return Buffer.from(data.json);
  if (typeof data.int === 'number') return Buffer.from(String(data.int));
  if (typeof data.double === 'number') return Buffer.from(String(data.double));
  return Buffer.alloc(0);
}

function cookieHeader(c: RpcHttpCookie): string {
  const parts = [`${c.name ?? ''}=${c.value ?? ''}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  const seconds = c.expires?.value?.seconds;
  if (typeof seconds === 'number') parts.push(`Expires=${new Date(seconds * 1000).toUTCString()}`);
  if (typeof c.maxAge?.value === 'number') parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  // The library sends 'none' (unset), 'lax', 'strict' or 'explicitNone'.
  const sameSite = String(c.sameSite ?? 'none').toLowerCase();
  if (sameSite === 'lax') parts.push('SameSite=Lax');
  else if (sameSite === 'strict') parts.push('SameSite=Strict');
  else if (sameSite === 'explicitnone') parts.push('SameSite=None');
  return parts.join('; ');
}

/** Writes the worker's RpcHttpData response; no response object means 204 No Content. */
function writeHttpResponse(res: ServerResponse, data: RpcHttpData | undefined): void {
  if (!data) {
    res.writeHead(204);
    res.end();
    return;
  }
  const status = data.statusCode ? Number(data.statusCode) : 200;
  const body = typedDataToBuffer(data.body);
  for (const [k, v] of Object.entries(data.headers ?? {})) res.setHeader(k, v);
  const cookies = (data.cookies ?? []).map(cookieHeader);
  if (cookies.length) res.setHeader('set-cookie', cookies);
  res.setHeader('content-length', body.length);
  res.writeHead(Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500);
  res.end(body);
}
