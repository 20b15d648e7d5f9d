import { randomUUID } from 'node:crypto';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** Thrown by a handler to answer with a specific status and JSON body (the emulator shapes the body). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Reads a request body, refusing anything over `limit` bytes with 413. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      throw new HttpError(413, { error: { code: 'RequestEntityTooLarge', message: 'The request body is too large.' } });
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; an empty body is `undefined`; malformed JSON becomes the `onInvalid` error. */
export async function readJson(req: IncomingMessage, onInvalid: () => HttpError): Promise<unknown> {
  const raw = await readBody(req);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw onInvalid();
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** Drops the connection without an answer, as a failing load balancer would. */
export function dropConnection(res: ServerResponse): void {
  res.socket?.destroy();
}

export function requestId(): string {
  return randomUUID();
}

export interface RunningServer {
  readonly server: http.Server;
  readonly port: number;
  /** `https://127.0.0.1:{port}` (or http:// without TLS) */
  readonly url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
  /** Name used in error messages ("Graph emulator: port 8443 ... is already in use"). */
  name?: string;
  /** Serve HTTPS with this certificate (see dev/certs.ts); plain HTTP without it. */
  tls?: { cert: string; key: string };
}

/**
 * Starts an HTTP(S) server. A port already taken rejects with a message that names it. `close()` ends idle
 * keep-alive connections so the process can exit.
 */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: ListenOptions = {},
): Promise<RunningServer> {
  const { port = 0, host = '127.0.0.1', name = 'server', tls } = options;
  const server: http.Server = tls
    ? https.createServer({ cert: tls.cert, key: tls.key }, handler)
    : http.createServer(handler);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(`${name}: port ${port} on ${host} is already in use; stop what uses it or choose another port`),
        );
      } else {
        reject(err);
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    url: `${tls ? 'https' : 'http'}://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
