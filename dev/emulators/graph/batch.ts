import type { Caller } from './auth';
import type { GraphCall } from './calls';
import type { GraphRequest, GraphResponse } from './context';
import { errorBody, Errors, GraphError } from './errors';
import { requestId as newRequestId } from '../common/http';
import { execute, type Execution, type GraphServices } from './pipeline';

/** JSON batching: at most 20 requests per batch. */
export const MAX_BATCH_REQUESTS = 20;

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

function batchError(message: string): GraphError {
  return new GraphError(400, 'BadRequest', message);
}

function parseItems(body: unknown): BatchItem[] {
  if (!body || typeof body !== 'object' || !Array.isArray((body as { requests?: unknown }).requests)) {
    throw batchError('Invalid batch payload format.');
  }
  const raw = (body as { requests: unknown[] }).requests;
  if (raw.length > MAX_BATCH_REQUESTS) throw batchError('Number of requests inside batch exceeds the limit.');
  if (raw.length === 0) throw batchError('Invalid batch payload format.');
  const ids = new Set<string>();
  const items = raw.map((r): BatchItem => {
    if (!r || typeof r !== 'object') throw batchError('Invalid batch payload format.');
    const o = r as Record<string, unknown>;
    const id = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : '';
    if (!id) throw batchError('Invalid batch payload format.');
    if (ids.has(id)) throw batchError(`Duplicate request id '${id}' found in the batch.`);
    ids.add(id);
    if (typeof o.method !== 'string' || typeof o.url !== 'string') throw batchError('Invalid batch payload format.');
    if (/^https?:/i.test(o.url)) throw batchError(`Invalid request URL '${o.url}': URLs in a batch must be relative.`);
    const headers: Record<string, string> = {};
    if (o.headers && typeof o.headers === 'object') {
      for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
    }
    const dependsOn = Array.isArray(o.dependsOn) ? o.dependsOn.map(String) : [];
    return { id, method: o.method.toUpperCase(), url: o.url, headers, body: o.body, dependsOn };
  });
  for (const item of items) {
    for (const d of item.dependsOn) {
      if (!ids.has(d)) throw batchError(`Request '${item.id}' depends on '${d}', which is not in the batch.`);
    }
  }
  return items;
}

/** Orders the items so that each runs after what it depends on; a cycle is a bad batch. */
function order(items: BatchItem[]): BatchItem[] {
  const done = new Set<string>();
  const out: BatchItem[] = [];
  const pending = [...items];
  while (pending.length) {
    const index = pending.findIndex((i) => i.dependsOn.every((d) => done.has(d)));
    if (index < 0) throw batchError('The batch contains a dependency cycle.');
    const [next] = pending.splice(index, 1) as [BatchItem];
    out.push(next);
    done.add(next.id);
  }
  return out;
}

export interface BatchOutcome {
  id: string;
  request: GraphRequest;
  execution: Execution;
  requestId: string;
  start: number;
  end: number;
}

/**
 * Runs a JSON batch: each request in dependency order (independent ones in the order given); a request whose
 * dependency failed answers 424. Each sub-request meets its own random faults (5xx, 429) and write throttling.
 * The answer is `{responses:[{id,status,headers,body}]}`.
 */
export function runBatch(
  services: GraphServices,
  caller: Caller,
  body: unknown,
  clientRequestId: string,
): { response: GraphResponse; outcomes: BatchOutcome[] } {
  const parsed = parseItems(body);
  const items = order(parsed);
  const statuses = new Map<string, number>();
  const outcomes: BatchOutcome[] = [];
  for (const item of items) {
    const start = services.directory.now();
    const requestId = newRequestId();
    const ids = { requestId, clientRequestId };
    const url = new URL(item.url.startsWith('/') ? item.url : `/${item.url}`, 'https://batch.invalid');
    const request: GraphRequest = {
      method: item.method,
      path: url.pathname.replace(/^\/v1\.0(?=\/)/, ''),
      query: url.searchParams,
      headers: item.headers,
      body: item.body,
    };
    let execution: Execution;
    const failed = item.dependsOn.find((d) => (statuses.get(d) ?? 500) >= 400);
    const fail = (err: GraphError, fault?: GraphCall['fault']): Execution => ({
      response: { status: err.status, body: errorBody(err, { ...ids, now: start }), headers: err.headers },
      fault,
      errorCode: err.code,
    });
    if (failed !== undefined) {
      execution = fail(new GraphError(424, 'FailedDependency', `Dependent request '${failed}' failed.`));
    } else if (item.body !== undefined && !item.headers['content-type']) {
      execution = fail(batchError(`Write request id : ${item.id} does not contain Content-Type header or body.`));
    } else {
      const decision = services.faults.decide();
      if (decision.kind === 'serverError') {
        execution = fail(Errors.serverError(decision.status), 'serverError');
      } else if (decision.kind === 'throttle' || decision.kind === 'drop') {
        // a sub-request cannot lose its connection on its own: a drop becomes a throttled answer
        execution = fail(
          Errors.throttled(services.faults.config.retryAfterSeconds, 'Tenant_Application_All'),
          'throttle',
        );
      } else {
        execution = execute(services, caller, request, ids);
      }
    }
    statuses.set(item.id, execution.response.status);
    outcomes.push({ id: item.id, request, execution, requestId, start, end: services.directory.now() });
  }
  const byId = new Map(outcomes.map((o) => [o.id, o]));
  const responses = parsed
    .map((i) => byId.get(i.id) as BatchOutcome)
    .map((o) => {
      const r = o.execution.response;
      const isText = typeof r.body === 'string';
      return {
        id: o.id,
        status: r.status,
        headers: {
          ...(r.body !== undefined ? { 'Content-Type': isText ? 'text/plain' : 'application/json' } : {}),
          ...Object.fromEntries(Object.entries(r.headers ?? {}).filter(([k]) => k !== 'content-type')),
        },
        ...(r.body !== undefined ? { body: r.body } : {}),
      };
    });
  return { response: { status: 200, body: { responses } }, outcomes };
}
