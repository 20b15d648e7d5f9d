import { isReplicated, type Directory, type EntityRecord, type JsonObject, type TenantDirectory } from '../directory';
import type { Caller } from './auth';
import type { GraphSchema } from './csdl/schema';
import { Errors } from './errors';
import type { GraphFaults } from './faults';

/** One Graph call (top-level or inside $batch) after authentication. */
export interface GraphRequest {
  method: string;
  /** Path below `/v1.0`, e.g. `/applications(uniqueName='x')`, not decoded. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
}

export interface GraphResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface GraphContext {
  directory: Directory;
  schema: GraphSchema;
  faults: GraphFaults;
  tenant: TenantDirectory;
  caller: Caller;
  request: GraphRequest;
  /** `{emulator}/v1.0`, for `@odata.context` and `@odata.nextLink`. */
  serviceRoot: string;
  now: number;
  /** Set when replication lag hid an object this call needed (for the call log). */
  lagHit: boolean;
}

export function isVisible(ctx: GraphContext, record: EntityRecord): boolean {
  return isReplicated(record, ctx.now);
}

/** The record if Graph's read replicas have it; one still replicating is undefined (and noted in the call log). */
export function replicated(ctx: GraphContext, record: EntityRecord | undefined): EntityRecord | undefined {
  if (record && !isVisible(ctx, record)) {
    ctx.lagHit = true;
    return undefined;
  }
  return record;
}

/** The record if replicated; a missing or lagging one is Graph's 404. */
export function visibleOrNotFound(ctx: GraphContext, record: EntityRecord | undefined, id: string): EntityRecord {
  const found = replicated(ctx, record);
  if (!found) throw Errors.notFound(id);
  return found;
}

export function bodyObject(ctx: GraphContext): JsonObject {
  const body = ctx.request.body;
  if (body === undefined) {
    throw Errors.badRequest('Empty Payload. JSON content expected.');
  }
  return body as JsonObject;
}

export function stringProp(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}
