import { badParameter } from './errors';

/** The service returns at most 25 items a page and refuses a larger `maxresults`. */
export const MAX_PAGE_SIZE = 25;

export interface PageRequest {
  maxresults: number;
  /** Whether the caller asked for a page size (it is then repeated in nextLink, as the service does). */
  explicitSize: boolean;
  /** Continue after this key (exclusive). */
  after: string | undefined;
}

/** Reads `maxresults` and `$skiptoken` from a list request. */
export function readPageRequest(params: URLSearchParams): PageRequest {
  const raw = params.get('maxresults');
  let maxresults = MAX_PAGE_SIZE;
  if (raw !== null && raw !== '') {
    const n = Number(raw);
    // Emulator wording; the range (1..25) is the service's.
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
      throw badParameter(
        `The value '${raw}' of parameter maxresults is invalid; it must be between 1 and ${MAX_PAGE_SIZE}.`,
      );
    }
    maxresults = n;
  }
  const token = params.get('$skiptoken');
  return { maxresults, explicitSize: raw !== null && raw !== '', after: token ? decodeSkipToken(token) : undefined };
}

/**
 * Skip tokens look like the service's: base64 of `{"NextMarker":...,"TargetLocation":0}`. Here the marker is
 * the sort key of the last item returned, so a page stays stable when items are added or removed meanwhile.
 */
export function encodeSkipToken(after: string): string {
  return Buffer.from(JSON.stringify({ NextMarker: after, TargetLocation: 0 }), 'utf8').toString('base64url');
}

export function decodeSkipToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { NextMarker?: unknown }).NextMarker === 'string') {
      return (parsed as { NextMarker: string }).NextMarker;
    }
  } catch {
    // fall through
  }
  throw badParameter('The skip token is invalid.');
}

export interface Page<T> {
  value: T[];
  nextLink: string | null;
}

/**
 * One page of `items` (already sorted by `key`). `nextLink` is absolute, carries api-version, and is null on
 * the last page.
 */
export function paginate<S, T>(
  items: S[],
  key: (item: S) => string,
  render: (item: S) => T,
  request: PageRequest,
  link: { base: string; apiVersion: string },
): Page<T> {
  const after = request.after;
  const start = after === undefined ? 0 : items.findIndex((i) => key(i) > after);
  const remaining = start < 0 ? [] : items.slice(start);
  const page = remaining.slice(0, request.maxresults);
  const last = page[page.length - 1];
  const more = remaining.length > page.length && last !== undefined;
  const nextLink = more
    ? `${link.base}?api-version=${encodeURIComponent(link.apiVersion)}&$skiptoken=${encodeSkipToken(key(last))}` +
      (request.explicitSize ? `&maxresults=${request.maxresults}` : '')
    : null;
  return { value: page.map(render), nextLink };
}
