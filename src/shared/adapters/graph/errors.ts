/**
 * Microsoft Graph failures, classified. Only Graph's eventual-consistency signatures, throttling and server or
 * network faults are transient; everything else is permanent and surfaces with Graph's own code and message.
 */

export type GraphFailureKind =
  /** The object was just created and is not visible yet (Graph's replication lag). */
  | 'replicationLag'
  /** 429: honour Retry-After. */
  | 'throttled'
  /** 5xx, a dropped connection, a timeout. */
  | 'transient'
  /** 409 Directory_ConcurrencyViolation: back-to-back writes to one object. */
  | 'concurrency'
  | 'notFound'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'invalid';

export class GraphRequestError extends Error {
  readonly code: string;
  constructor(
    readonly kind: GraphFailureKind,
    readonly status: number,
    /** Graph's `error.code` (e.g. Request_BadRequest), or a network error code. */
    readonly graphCode: string,
    message: string,
    readonly retryAfterMs: number | undefined,
    readonly requestId: string | undefined,
    readonly method: string,
    readonly path: string,
    cause?: unknown,
  ) {
    super(`Graph ${method} ${path} failed: ${status || 'network'} ${graphCode}: ${message}`, { cause });
    this.name = 'GraphRequestError';
    this.code = `GRAPH_${kind.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()}`;
  }

  get transient(): boolean {
    return (
      this.kind === 'replicationLag' ||
      this.kind === 'throttled' ||
      this.kind === 'transient' ||
      this.kind === 'concurrency'
    );
  }
}

/** The signatures Graph answers with while a new object replicates (REFERENCE.md §2). */
const LAG_MESSAGES = [
  /does not reference a valid application object/i,
  /backing application of the service principal being created must in the local tenant/i,
  /Not a valid reference update/i,
  /does not exist or one of its queried reference-property objects are not present/i,
];

export interface GraphErrorBody {
  error?: { code?: string; message?: string; details?: { code?: string }[]; innerError?: Record<string, unknown> };
}

function retryAfter(headers: Headers | Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const raw =
    headers instanceof Headers ? headers.get('retry-after') : (headers['retry-after'] ?? headers['Retry-After']);
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Classifies one Graph answer. `expectExisting` says the caller knows the object exists (it created it), so a
 * 404 is replication lag rather than a real absence.
 */
export function classifyGraphFailure(input: {
  status: number;
  body: GraphErrorBody | undefined;
  headers?: Headers | Record<string, string>;
  method: string;
  path: string;
  expectExisting?: boolean;
  cause?: unknown;
}): GraphRequestError {
  const { status, body, method, path } = input;
  const code = body?.error?.code ?? (status ? `HTTP_${status}` : 'NetworkError');
  const message = body?.error?.message ?? (status ? `HTTP ${status}` : String((input.cause as Error)?.message));
  const details = (body?.error?.details ?? []).map((d) => d.code ?? '');
  const requestId =
    (body?.error?.innerError?.['request-id'] as string | undefined) ??
    (input.headers instanceof Headers ? (input.headers.get('request-id') ?? undefined) : undefined);
  const lag = details.includes('NoBackingApplicationObject') || LAG_MESSAGES.some((re) => re.test(message));
  let kind: GraphFailureKind;
  if (status === 0 || status >= 500) kind = 'transient';
  else if (status === 429) kind = 'throttled';
  else if (status === 409 && code === 'Directory_ConcurrencyViolation') kind = 'concurrency';
  else if (status === 404) kind = input.expectExisting ? 'replicationLag' : 'notFound';
  else if ((status === 400 || status === 403) && lag) kind = 'replicationLag';
  else if (status === 409 || /already exists/i.test(message)) kind = 'conflict';
  else if (status === 403) kind = 'forbidden';
  else if (status === 401) kind = 'unauthorized';
  else kind = 'invalid';
  return new GraphRequestError(
    kind,
    status,
    code,
    message,
    retryAfter(input.headers),
    requestId,
    method,
    path,
    input.cause,
  );
}
