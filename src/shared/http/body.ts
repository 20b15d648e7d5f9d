import type { HttpRequest } from '@azure/functions';
import { HttpRequestError } from './problem';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body: `Content-Type: application/json` (415 otherwise), at most `maxBytes` (413, refused from
 * Content-Length before reading, and counted while reading), valid JSON (400).
 */
export async function readJsonBody(request: HttpRequest, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new HttpRequestError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Unsupported media type',
      'Send the body as application/json.',
    );
  }
  const tooLarge = (): HttpRequestError =>
    new HttpRequestError(
      413,
      'BODY_TOO_LARGE',
      'Request body too large',
      `The body must not exceed ${maxBytes} bytes.`,
    );
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpRequestError(400, 'BODY_MISSING', 'Request body missing', 'Send a JSON body.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpRequestError(400, 'MALFORMED_JSON', 'Malformed JSON', 'The request body is not valid JSON.');
  }
}

/** The API's base URL as the caller sees it (`https://host/api`), for Location headers and links. */
export function apiBase(request: HttpRequest, routePrefix = 'api'): string {
  const url = new URL(request.url);
  const forwardedHost = request.headers.get('x-forwarded-host');
  const forwardedProto = request.headers.get('x-forwarded-proto');
  const origin = forwardedHost ? `${forwardedProto ?? 'https'}://${forwardedHost}` : url.origin;
  return routePrefix ? `${origin}/${routePrefix}` : origin;
}
