import type { EntityRecord, JsonObject } from '../../directory';
import type { GraphContext, GraphResponse } from '../context';
import { isVisible } from '../context';
import { Errors, type ResourceName } from '../errors';
import { DEFAULT_PAGE_SIZE, encodeSkipToken, evaluate, filterUsage, parseQuery, type ODataQuery } from '../odata';

/** Operators Graph accepts on directory objects only as advanced queries (ConsistencyLevel: eventual + $count). */
const ADVANCED_OPERATORS = new Set(['ne', 'not', 'endswith']);

export interface CollectionSpec {
  /** Qualified type name, e.g. microsoft.graph.application. */
  type: string;
  resource: ResourceName;
  /** `@odata.context` path, e.g. `applications` or `servicePrincipals('{id}')/appRoleAssignedTo`. */
  contextPath: string;
  /** Properties `$filter` may use (default queries). */
  filterable: readonly string[];
  /** Directory object collections of mixed types carry `@odata.type` on each item. */
  typedItems?: boolean;
}

/** The body without instance annotations (`owners@odata.bind`, `@odata.type`). */
export function withoutAnnotations(body: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(body).filter(([k]) => !k.includes('@')));
}

/**
 * Refuses properties Graph computes (a value equal to the stored one passes, as when a caller sends back what it
 * read) and password credentials, which only addPassword/removePassword change (an empty list is accepted).
 */
export function refuseReadOnly(body: JsonObject, existing: JsonObject | undefined, readOnly: readonly string[]): void {
  for (const key of readOnly) {
    if (key in body && !(existing && existing[key] === body[key])) throw Errors.readOnly(key);
  }
  const passwords = body.passwordCredentials;
  if (passwords !== undefined && !(Array.isArray(passwords) && passwords.length === 0)) {
    throw Errors.readOnly('passwordCredentials');
  }
}

/** Validates `$select` names against the type. */
export function checkSelect(ctx: GraphContext, type: string, select: readonly string[] | undefined): void {
  if (!select) return;
  const props = ctx.schema.properties(type);
  for (const name of select) {
    if (!props.has(name)) throw Errors.undeclaredProperty(name, 'Request_UnsupportedQuery');
  }
}

export function render(ctx: GraphContext, type: string, record: EntityRecord, select?: readonly string[]): JsonObject {
  const out = ctx.schema.render(type, record.data, select ? { select } : {});
  // key material is returned only when keyCredentials is $select-ed
  if (Array.isArray(out.keyCredentials) && !select?.includes('keyCredentials')) {
    out.keyCredentials = (out.keyCredentials as JsonObject[]).map((k) => ({ ...k, key: null }));
  }
  return out;
}

export function typed(type: string, body: JsonObject): JsonObject {
  return { '@odata.type': `#${type}`, ...body };
}

export function contextUrl(ctx: GraphContext, path: string, select?: readonly string[], entity = false): string {
  return `${ctx.serviceRoot}/$metadata#${path}${select ? `(${select.join(',')})` : ''}${entity ? '/$entity' : ''}`;
}

/** A single entity response (`@odata.context` ... `/$entity`). */
export function entityResponse(
  ctx: GraphContext,
  spec: Pick<CollectionSpec, 'type' | 'contextPath'>,
  record: EntityRecord,
  status = 200,
  extraHeaders: Record<string, string> = {},
): GraphResponse {
  const query = parseQuery(ctx.request.query, ctx.request.headers);
  checkSelect(ctx, spec.type, query.select);
  return {
    status,
    headers: extraHeaders,
    body: {
      '@odata.context': contextUrl(ctx, spec.contextPath, query.select, true),
      ...render(ctx, spec.type, record, query.select),
    },
  };
}

function checkFilter(query: ODataQuery, ctx: GraphContext, spec: CollectionSpec): void {
  if (!query.filter) return;
  const { properties, operators } = filterUsage(query.filter);
  const declared = ctx.schema.properties(spec.type);
  for (const p of properties) {
    if (!declared.has(p)) throw Errors.undeclaredProperty(p, 'Request_UnsupportedQuery');
    if (!spec.filterable.includes(p)) {
      throw Errors.unsupportedQuery(
        `Unsupported or invalid query filter clause specified for property '${p}' of resource '${spec.resource}'.`,
      );
    }
  }
  const advanced = query.eventual && query.count;
  for (const op of operators) {
    if (ADVANCED_OPERATORS.has(op) && !advanced) throw Errors.advancedQueryRequired(op);
  }
}

/** `$count=true` needs `ConsistencyLevel: eventual` on directory objects. */
function checkCount(query: ODataQuery): void {
  if (query.count && !query.eventual) throw Errors.countNotSupported();
}

/**
 * A collection response with Graph's query options: `$filter`, `$select`, `$orderby`, `$count` (advanced),
 * `$top` paging with `@odata.nextLink` carrying a `$skiptoken`. Objects still inside the replication lag are left
 * out, as Graph's read replicas would.
 */
export function collectionResponse(
  ctx: GraphContext,
  spec: CollectionSpec,
  records: Iterable<EntityRecord>,
): GraphResponse {
  const query = parseQuery(ctx.request.query, ctx.request.headers);
  checkCount(query);
  checkSelect(ctx, spec.type, query.select);
  checkFilter(query, ctx, spec);
  let items = [...records].filter((r) => isVisible(ctx, r));
  if (query.filter) {
    const filter = query.filter;
    items = items.filter((r) => evaluate(filter, r.data));
  }
  if (query.orderBy) {
    const { property, descending } = query.orderBy;
    if (!ctx.schema.properties(spec.type).has(property))
      throw Errors.undeclaredProperty(property, 'Request_UnsupportedQuery');
    if (property !== 'displayName') throw Errors.unsupportedQuery('Sorting not supported for current query.');
    items.sort((a, b) => {
      const text = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : '');
      const x = text(a.data[property]);
      const y = text(b.data[property]);
      return descending ? y.localeCompare(x) : x.localeCompare(y);
    });
  }
  const total = items.length;
  const pageSize = query.top ?? DEFAULT_PAGE_SIZE;
  const page = items.slice(query.offset, query.offset + pageSize);
  const body: JsonObject = { '@odata.context': contextUrl(ctx, spec.contextPath, query.select) };
  if (query.count) body['@odata.count'] = total;
  if (query.offset + pageSize < total) {
    const params = new URLSearchParams(ctx.request.query);
    params.delete('$skiptoken');
    params.delete('skiptoken');
    params.set('$skiptoken', encodeSkipToken(query.offset + pageSize));
    const path = ctx.request.path.startsWith('/') ? ctx.request.path : `/${ctx.request.path}`;
    body['@odata.nextLink'] = `${ctx.serviceRoot}${path}?${params.toString().replace(/%24/g, '$')}`;
  }
  body.value = page.map((r) => {
    const item = render(ctx, spec.type, r, query.select);
    return spec.typedItems ? typed(`microsoft.graph.${r.kind}`, item) : item;
  });
  return { status: 200, body };
}

/** `GET /{collection}/$count` (text/plain), advanced queries only. */
export function countResponse(ctx: GraphContext, records: Iterable<EntityRecord>): GraphResponse {
  const eventual = (ctx.request.headers['consistencylevel'] ?? '').toLowerCase() === 'eventual';
  if (!eventual) throw Errors.countNotSupported();
  const n = [...records].filter((r) => isVisible(ctx, r)).length;
  return { status: 200, body: String(n), headers: { 'content-type': 'text/plain' } };
}

/** The id in an `@odata.id` / `@odata.bind` reference URL (`.../directoryObjects/{id}`). */
export function referencedId(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const m = /\/([^/()]+)(?:\(\))?\/?$/.exec(url.replace(/\('([^']+)'\)$/, '/$1'));
  return m?.[1];
}
