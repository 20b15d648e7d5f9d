import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { readJsonColumns } from '../../src/shared/adapters/tables/jsonColumns';
import type { BenchStack } from './stack';

/** One Graph call as the emulator's call log reports it (`GET /_emulator/calls`). */
export interface LoggedCall {
  seq: number;
  method: string;
  path: string;
  status: number;
  start: string;
  end: string;
  fault?: string;
}

interface HistoryEntry {
  at: string;
  subject: string;
  from: string;
  to: string;
}

export interface ProvisioningRun {
  label: string;
  concurrency: number;
  latencyMs: number;
  succeeded: number;
  failed: number;
  unfinished: number;
  /** First POST sent → last request finished (server's updatedAt), ms. */
  wallMs: number;
  perMinute: number;
  graphCalls: number;
  graphCallsPerRequest: number;
  http429: number;
  http429PerRequest: number;
  writesPerRequest: number;
  /** End-to-end per request (createdAt → finished), ms. */
  e2eP50Ms: number;
  e2eMaxMs: number;
  /** For a single request: the longest chain of Graph calls that ran one after another, in time. */
  sequentialGraphHops?: number;
  /** For a single request: dependent Graph round trips along the pipeline's dependencies (criticalPathHops). */
  criticalPathHops?: number;
  unattributedCalls?: number;
  /** For a single request: step → [startedMs, finishedMs] relative to the request's creation. */
  timeline?: { step: string; startMs: number; endMs: number; calls?: number; chain?: number }[];
  /** For a single request: Graph calls by step-visible shape (method + path template). */
  callShapes?: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The longest chain of calls in which each starts after the previous one ended (dependent round trips). */
export function longestSequentialChain(calls: { start: string; end: string }[]): number {
  const spans = calls
    .map((c) => ({ s: Date.parse(c.start), e: Date.parse(c.end) }))
    .sort((a, b) => a.e - b.e || a.s - b.s);
  const depth: number[] = [];
  let best = 0;
  for (let i = 0; i < spans.length; i++) {
    let d = 1;
    for (let j = 0; j < i; j++) if (spans[j]!.e <= spans[i]!.s) d = Math.max(d, depth[j]! + 1);
    depth.push(d);
    best = Math.max(best, d);
  }
  return best;
}

interface PipelineSteps {
  steps: Record<string, { dependsOn: string[]; outputs?: Record<string, string> }>;
  history: HistoryEntry[];
}

/**
 * Dependent Graph round trips on the critical path: each call is attributed to the step that made it (the step's
 * run window from the ledger history, and the call's shape and ids), a step's calls are chained where they ran one
 * after another, and the steps are chained along the pipeline's dependencies. Unlike the time-ordered chain, calls
 * of independent steps that merely ran one after another (queue hops are slower than a call) do not add up.
 */
export function criticalPathHops(
  calls: LoggedCall[],
  pipeline: PipelineSteps,
): { hops: number; unattributed: number; perStep: Record<string, { calls: number; chain: number }> } {
  const window = new Map<string, { start: number; end: number }>();
  for (const h of pipeline.history) {
    if (h.subject === 'request') continue;
    const w = window.get(h.subject) ?? { start: NaN, end: NaN };
    if (h.to === 'Running') w.start = Date.parse(h.at);
    if (h.to === 'Succeeded') w.end = Date.parse(h.at);
    window.set(h.subject, w);
  }
  const o = (step: string, key: string): string => pipeline.steps[step]?.outputs?.[key] ?? '\u0000';
  const owns: Record<string, (c: LoggedCall) => boolean> = {
    serverApp: (c) => /\/organization|uniqueName='cmep-server-/.test(c.path) && !/addPassword/.test(c.path),
    serverSecret: (c) => /uniqueName='cmep-server-/.test(c.path) || /(add|remove)Password/.test(c.path),
    serverServicePrincipal: (c) => c.path.includes(`appId='${o('serverApp', 'appId')}'`),
    clientApp: (c) => /uniqueName='cmep-client-/.test(c.path),
    clientRedirect: (c) => c.method === 'PATCH' && c.path.includes(`/applications/${o('clientApp', 'objectId')}`),
    clientServicePrincipal: (c) => c.path.includes(`appId='${o('clientApp', 'appId')}'`),
    appRoleConsent: (c) => /appRoleAssign|appId='00000003-/.test(c.path),
    delegatedGrant: (c) => /oauth2PermissionGrants/.test(c.path),
    clientGraphGrant: (c) => /oauth2PermissionGrants|appId='00000003-/.test(c.path),
    verify: (c) => c.method === 'GET',
  };
  const byStep = new Map<string, LoggedCall[]>();
  let unattributed = 0;
  for (const c of calls) {
    const s = Date.parse(c.start);
    const e = Date.parse(c.end);
    const step = Object.keys(owns).find((name) => {
      const w = window.get(name);
      return w && s >= w.start - 5 && e <= w.end + 5 && owns[name]!(c);
    });
    if (!step) unattributed++;
    else byStep.set(step, [...(byStep.get(step) ?? []), c]);
  }
  const depth = new Map<string, number>();
  const visit = (step: string): number => {
    const known = depth.get(step);
    if (known !== undefined) return known;
    const before = Math.max(0, ...(pipeline.steps[step]?.dependsOn ?? []).map(visit));
    const d = before + longestSequentialChain(byStep.get(step) ?? []);
    depth.set(step, d);
    return d;
  };
  const perStep: Record<string, { calls: number; chain: number }> = {};
  for (const [step, list] of byStep) perStep[step] = { calls: list.length, chain: longestSequentialChain(list) };
  return { hops: Math.max(0, ...Object.keys(pipeline.steps).map(visit)), unattributed, perStep };
}

/** `/v1.0/applications/3f…/addPassword` → `POST /applications/{id}/addPassword` */
function shape(c: LoggedCall): string {
  const p = c.path
    .replace(/^\/v1\.0/, '')
    .replace(/\?.*$/, '')
    .replace(/\('[^']*'\)|\([^)]*=[^)]*\)/g, (m) => m.replace(/'[^']*'/g, '{key}'))
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}');
  return `${c.method} ${p}`;
}

function ticket(tenantId: string, run: string, i: number): Record<string, unknown> {
  return {
    ticketId: `BENCH-${run}-${i}`,
    requestedBy: 'bench@contoso.com',
    service: 'CloudManagement',
    action: 'create',
    tenantId,
    tenantName: 'contoso.onmicrosoft.com',
    cloud: 'AzurePublicCloud',
    serverApp: {
      displayName: `CMG-Bench-${run}-${i}`,
      appIdUri: `api://${tenantId}/CMG-Bench-${run}-${i}`,
      secretValidityYears: 1,
    },
    clientApp: { displayName: `CMG-BenchClient-${run}-${i}` },
  };
}

/**
 * Posts `concurrency` CMG tickets at once and waits (bounded by `timeoutMs`) until every one finished, then reads the
 * Graph emulator's call log and the rows' step history.
 */
export async function provision(
  stack: BenchStack,
  options: { label: string; concurrency: number; faults: Record<string, unknown>; timeoutMs: number },
): Promise<ProvisioningRun> {
  const { graphAdmin } = stack.info.emulators;
  const tenantId = stack.info.tenants[0]!.tenantId;
  await stack.admin(`${graphAdmin}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(options.faults),
  });
  await stack.admin(`${graphAdmin}/calls`, { method: 'DELETE' });
  const run = randomUUID().slice(0, 8);
  const table = TableClient.fromConnectionString(stack.info.azurite.connectionString, 'registrations', {
    allowInsecureConnection: true,
  });

  const t0 = Date.now();
  const ids = await Promise.all(
    Array.from({ length: options.concurrency }, async (_, i) => {
      const res = await fetch(`${stack.info.functions.api}/registrations`, {
        method: 'POST',
        headers: stack.headers,
        body: JSON.stringify(ticket(tenantId, run, i)),
      });
      const body = (await res.json()) as { id?: string };
      if (res.status !== 202 || !body.id) throw new Error(`POST /registrations: ${res.status} ${JSON.stringify(body)}`);
      return body.id;
    }),
  );
  const wanted = new Set(ids);

  type Row = { state: string; createdAt: string; updatedAt: string };
  const rows = new Map<string, Row>();
  const deadline = t0 + options.timeoutMs;
  // Poll lightly (four small columns, once a second) so the measurement does not load Azurite.
  const select = ['PartitionKey', 'state', 'createdAt', 'updatedAt'];
  while (Date.now() < deadline) {
    await sleep(1000);
    let done = 0;
    for await (const e of table.listEntities<Record<string, unknown>>({ queryOptions: { select } })) {
      const id = String(e.partitionKey);
      if (!wanted.has(id)) continue;
      const state = String(e.state);
      if (state === 'Succeeded' || state === 'Failed') done++;
      rows.set(id, { state, createdAt: String(e.createdAt), updatedAt: String(e.updatedAt) });
    }
    if (done === wanted.size) break;
  }
  const finished = [...rows.values()].filter((r) => r.state === 'Succeeded' || r.state === 'Failed');
  const succeeded = finished.filter((r) => r.state === 'Succeeded').length;
  const lastEnd = Math.max(...finished.map((r) => Date.parse(r.updatedAt)), t0);
  const wallMs = lastEnd - t0;
  const e2e = finished.map((r) => Date.parse(r.updatedAt) - Date.parse(r.createdAt)).sort((a, b) => a - b);

  const calls = ((await stack.admin(`${graphAdmin}/calls?tenant=${tenantId}`)) as { value: LoggedCall[] }).value;
  const writes = calls.filter((c) => c.method !== 'GET' && c.status < 300).length;
  const throttled = calls.filter((c) => c.status === 429).length;
  const n = options.concurrency;
  const result: ProvisioningRun = {
    label: options.label,
    concurrency: n,
    latencyMs: Number(options.faults.latencyMs ?? 0),
    succeeded,
    failed: finished.length - succeeded,
    unfinished: n - finished.length,
    wallMs,
    perMinute: wallMs > 0 ? (succeeded / wallMs) * 60_000 : 0,
    graphCalls: calls.length,
    graphCallsPerRequest: calls.length / n,
    http429: throttled,
    http429PerRequest: throttled / n,
    writesPerRequest: writes / n,
    e2eP50Ms: percentile(e2e, 50),
    e2eMaxMs: e2e[e2e.length - 1] ?? NaN,
  };
  if (n === 1 && finished[0]) {
    result.sequentialGraphHops = longestSequentialChain(calls);
    const created = Date.parse(finished[0].createdAt);
    const entity = await table.getEntity<Record<string, unknown>>(ids[0]!, 'registration');
    const pipeline = readJsonColumns<PipelineSteps>(entity, 'pipeline');
    let perStep: Record<string, { calls: number; chain: number }> = {};
    const history = pipeline?.history ?? [];
    if (pipeline) {
      const cp = criticalPathHops(calls, pipeline);
      result.criticalPathHops = cp.hops;
      result.unattributedCalls = cp.unattributed;
      perStep = cp.perStep;
    }
    const steps = new Map<string, { startMs: number; endMs: number }>();
    for (const h of history) {
      if (h.subject === 'request') continue;
      const at = Date.parse(h.at) - created;
      const s = steps.get(h.subject) ?? { startMs: NaN, endMs: NaN };
      if (h.to === 'Running' && Number.isNaN(s.startMs)) s.startMs = at;
      if (h.to === 'Succeeded' || h.to === 'Failed' || h.to === 'Skipped') s.endMs = at;
      steps.set(h.subject, s);
    }
    result.timeline = [...steps.entries()]
      .map(([step, s]) => ({ step, ...s, ...perStep[step] }))
      .sort((a, b) => a.startMs - b.startMs);
    result.callShapes = {};
    for (const c of calls) result.callShapes[shape(c)] = (result.callShapes[shape(c)] ?? 0) + 1;
  }
  return result;
}
