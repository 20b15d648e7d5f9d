import { TableClient } from '@azure/data-tables';
import { INLINE_STEPS } from '../../src/shared/provisioning/runStep';
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
  durationMs?: number;
}

interface HistoryEntry {
  at: string;
  subject: string;
  from: string;
  to: string;
}

/**
 * Where one ticket's end-to-end time went, along the path of steps that set its finish time: from the last step
 * back, each step's gating dependency is the one that finished last (the first step is gated by intake).
 */
export interface E2eBreakdown {
  e2eMs: number;
  /** The steps on the time-critical path, first to last. */
  path: {
    step: string;
    /** Gating dependency's finish (or the row's creation) → this step's start: the queue hop. */
    queuedMs: number;
    /** This step's run window (started → finished). */
    ranMs: number;
    /** Graph time on the step's longest dependent chain of calls (sum of the chain's call durations). */
    graphMs: number;
    /** Calls on that chain (dependent Graph round trips of the step). */
    graphHops: number;
    calls: number;
  }[];
  /** (a) Graph time on the critical path. */
  graphMs: number;
  /**
   * (b) Queue overhead: intake → first step, plus each queued step's gating dependency finish → its start. The
   * hand-off to a step that runs inline (verify, complete) is no queue hop: its gap (ledger write, claim) is (c).
   */
  queueMs: number;
  /** (c) The rest: time inside steps not waiting on Graph (table writes, Key Vault, tokens), and the tail. */
  otherMs: number;
  /** Queue hops on the critical path (intake → first step counts as one). */
  queueHops: number;
  /** Hand-offs on the critical path to steps that ran inline (INLINE_STEPS), in the invocation that unblocked them. */
  inlineHops: number;
  /** Dependent Graph round trips along this path. */
  graphHops: number;
}

/** The write token bucket's effect, for a scenario run with `writeBucketCapacity` > 0. */
export interface WriteBudget {
  capacity: number;
  refillPerSecond: number;
  /** Writes the bucket admitted (POST/PATCH/PUT/DELETE not answered by the bucket's 429), per request. */
  admittedWritesPerRequest: number;
  /** The bucket's sustained budget in requests per minute: refill × 60 / admitted writes per request. */
  budgetPerMinute: number;
  /** Achieved provisioned/min ÷ budget. */
  ratio: number;
  /** Writes admitted ÷ tokens the bucket could hand out during the run (capacity + refill × wall seconds). */
  tokenUse: number;
  /** 429s from the bucket (`x-ms-throttle-scope: Tenant_Application_Write`), in all and per admitted write. */
  bucket429: number;
  bucket429PerWrite: number;
  admittedWrites: number;
  /** Every Graph call of the run (reads, admitted writes, 429s and other answers). */
  totalCalls: number;
}

export interface ProvisioningRun {
  /** Which scenario group (fresh stack) the run belonged to. */
  group?: string;
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
  e2eMinMs: number;
  /** For a single request: the longest chain of Graph calls that ran one after another, in time. */
  sequentialGraphHops?: number;
  /** For a single request: dependent Graph round trips along the pipeline's dependencies (criticalPathHops). */
  criticalPathHops?: number;
  unattributedCalls?: number;
  /** For a single request: step → [startedMs, finishedMs] relative to the request's creation. */
  timeline?: { step: string; startMs: number; endMs: number; calls?: number; chain?: number }[];
  /** For a single request: Graph calls by step-visible shape (method + path template). */
  callShapes?: Record<string, number>;
  /** For a single request: e2e split into Graph time, queue overhead and the rest along the critical path. */
  breakdown?: E2eBreakdown;
  /** With the write bucket on. */
  writeBudget?: WriteBudget;
  /** The emulator's call log holds at most 10,000 calls: true when it was full (counts are then a lower bound). */
  callLogFull?: boolean;
  /**
   * When the scenario was repeated (one ticket, one run after another): every run's end-to-end and queue overhead;
   * the other fields are those of the run with the median end-to-end.
   */
  samples?: { e2eMs: number; queueMs?: number }[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * The heaviest chain of calls in which each starts after the previous one ended (dependent round trips); `weight`
 * 1 counts calls, the call's duration sums Graph time.
 */
function heaviestChain(calls: { start: string; end: string }[], weight: (s: number, e: number) => number): number {
  const spans = calls
    .map((c) => ({ s: Date.parse(c.start), e: Date.parse(c.end) }))
    .sort((a, b) => a.e - b.e || a.s - b.s);
  const depth: number[] = [];
  let best = 0;
  for (let i = 0; i < spans.length; i++) {
    const own = weight(spans[i]!.s, spans[i]!.e);
    let d = own;
    for (let j = 0; j < i; j++) if (spans[j]!.e <= spans[i]!.s) d = Math.max(d, depth[j]! + own);
    depth.push(d);
    best = Math.max(best, d);
  }
  return best;
}

/** The longest chain of calls in which each starts after the previous one ended (dependent round trips). */
export function longestSequentialChain(calls: { start: string; end: string }[]): number {
  return heaviestChain(calls, () => 1);
}

/** Graph time of the chain of one-after-another calls with the largest summed duration (ms). */
export function longestChainMs(calls: { start: string; end: string }[]): number {
  return heaviestChain(calls, (s, e) => Math.max(0, e - s));
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
): {
  hops: number;
  unattributed: number;
  perStep: Record<string, { calls: number; chain: number }>;
  byStep: Map<string, LoggedCall[]>;
} {
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
    // The PATCH, and the read-back of the client app where the step makes one.
    clientRedirect: (c) => c.path.includes(`/applications/${o('clientApp', 'objectId')}`),
    clientServicePrincipal: (c) => c.path.includes(`appId='${o('clientApp', 'appId')}'`),
    appRoleConsent: (c) => /appRoleAssign|appId='00000003-/.test(c.path),
    delegatedGrant: (c) => /oauth2PermissionGrants/.test(c.path),
    clientGraphGrant: (c) => /oauth2PermissionGrants|appId='00000003-/.test(c.path),
    verify: (c) => c.method === 'GET',
  };
  const byStep = new Map<string, LoggedCall[]>();
  let unattributed = 0;
  // A call two running steps could both have made (the two grants POST the same path at the same time) goes to the
  // one with fewer calls so far, then to the one that started first: calls are taken in the order they started.
  for (const c of [...calls].sort((a, b) => Date.parse(a.start) - Date.parse(b.start))) {
    const s = Date.parse(c.start);
    const e = Date.parse(c.end);
    const candidates = Object.keys(owns).filter((name) => {
      const w = window.get(name);
      return w && s >= w.start - 5 && e <= w.end + 5 && owns[name]!(c);
    });
    const count = (name: string): number => byStep.get(name)?.length ?? 0;
    const step = candidates.sort((a, b) => count(a) - count(b) || window.get(a)!.start - window.get(b)!.start)[0];
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
  return { hops: Math.max(0, ...Object.keys(pipeline.steps).map(visit)), unattributed, perStep, byStep };
}

/**
 * Splits one ticket's end-to-end time along its time-critical path (see E2eBreakdown). A step's window is its first
 * Running → its last Succeeded in the ledger history; its Graph time is the heaviest chain of its attributed calls.
 */
export function e2eBreakdown(
  pipeline: PipelineSteps,
  byStep: Map<string, LoggedCall[]>,
  createdMs: number,
  finishedMs: number,
): E2eBreakdown | undefined {
  const window = new Map<string, { start: number; end: number }>();
  for (const h of pipeline.history) {
    if (h.subject === 'request') continue;
    const w = window.get(h.subject) ?? { start: NaN, end: NaN };
    if (h.to === 'Running' && Number.isNaN(w.start)) w.start = Date.parse(h.at);
    if (h.to === 'Succeeded') w.end = Date.parse(h.at);
    window.set(h.subject, w);
  }
  const done = [...window.entries()].filter(([, w]) => !Number.isNaN(w.start) && !Number.isNaN(w.end));
  if (done.length === 0) return undefined;
  const ended = new Map(done);
  let step: string | undefined = done.reduce((a, b) => (b[1].end > a[1].end ? b : a))[0];
  const path: E2eBreakdown['path'] = [];
  while (step) {
    const w = ended.get(step)!;
    const gate: string | undefined = (pipeline.steps[step]?.dependsOn ?? [])
      .filter((d) => ended.has(d))
      .reduce<string | undefined>(
        (a, d) => (a === undefined || ended.get(d)!.end > ended.get(a)!.end ? d : a),
        undefined,
      );
    const calls = byStep.get(step) ?? [];
    path.unshift({
      step,
      queuedMs: w.start - (gate ? ended.get(gate)!.end : createdMs),
      ranMs: w.end - w.start,
      graphMs: longestChainMs(calls),
      graphHops: longestSequentialChain(calls),
      calls: calls.length,
    });
    step = gate;
  }
  const e2eMs = finishedMs - createdMs;
  const graphMs = path.reduce((a, p) => a + p.graphMs, 0);
  const queued = path.filter((p) => !(INLINE_STEPS as readonly string[]).includes(p.step));
  const queueMs = queued.reduce((a, p) => a + p.queuedMs, 0);
  return {
    e2eMs,
    path,
    graphMs,
    queueMs,
    otherMs: e2eMs - graphMs - queueMs,
    queueHops: queued.length,
    inlineHops: path.length - queued.length,
    graphHops: path.reduce((a, p) => a + p.graphHops, 0),
  };
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

export interface ProvisioningScenario {
  label: string;
  concurrency: number;
  faults: Record<string, unknown>;
  timeoutMs: number;
  group?: string;
  /** Run the scenario this many times one after another and keep the run with the median end-to-end. */
  repeat?: number;
}

/** The Graph emulator keeps this many calls in its log (dev/emulators/graph/calls.ts). */
const CALL_LOG_LIMIT = 10_000;

/**
 * Posts `concurrency` CMG tickets at once and waits (bounded by `timeoutMs`) until every one finished, then reads the
 * Graph emulator's call log and the rows' step history.
 */
export async function provision(stack: BenchStack, options: ProvisioningScenario): Promise<ProvisioningRun> {
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
  let reported = t0;
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
    if (Date.now() - reported >= 30_000) {
      reported = Date.now();
      process.stderr.write(
        `[bench]   ${done}/${wanted.size} finished after ${((reported - t0) / 1000).toFixed(0)} s\n`,
      );
    }
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
  const capacity = Number(options.faults.writeBucketCapacity ?? 0);
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
    e2eMinMs: e2e[0] ?? NaN,
    ...(options.group ? { group: options.group } : {}),
    ...(calls.length >= CALL_LOG_LIMIT ? { callLogFull: true } : {}),
  };
  if (capacity > 0) {
    // A write the bucket admitted took a token whatever Graph answered next (a 409 too); its 429s did not.
    const refill = Number(options.faults.writeBucketRefillPerSecond ?? 0);
    const bucket429 = calls.filter((c) => c.fault === 'writeThrottle').length;
    const admitted = calls.filter((c) => c.method !== 'GET' && c.fault !== 'writeThrottle').length;
    const perRequest = admitted / n;
    const budgetPerMinute = perRequest > 0 ? (refill * 60) / perRequest : NaN;
    result.writeBudget = {
      capacity,
      refillPerSecond: refill,
      admittedWritesPerRequest: perRequest,
      budgetPerMinute,
      ratio: result.perMinute / budgetPerMinute,
      tokenUse: wallMs > 0 ? admitted / (capacity + (refill * wallMs) / 1000) : NaN,
      bucket429,
      bucket429PerWrite: admitted > 0 ? bucket429 / admitted : NaN,
      admittedWrites: admitted,
      totalCalls: calls.length,
    };
  }
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
      result.breakdown = e2eBreakdown(pipeline, cp.byStep, created, Date.parse(finished[0].updatedAt));
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

/**
 * `provision` `options.repeat` times in a row (a single ticket's end-to-end is one noisy sample on a shared machine):
 * the result is the run with the median end-to-end, with every run's figures in `samples`.
 */
export async function provisionRepeated(stack: BenchStack, options: ProvisioningScenario): Promise<ProvisioningRun> {
  const repeat = Math.max(1, options.repeat ?? 1);
  const all: ProvisioningRun[] = [];
  for (let i = 0; i < repeat; i++) all.push(await provision(stack, options));
  if (repeat === 1) return all[0]!;
  const done = all.filter((r) => Number.isFinite(r.e2eP50Ms)).sort((a, b) => a.e2eP50Ms - b.e2eP50Ms);
  const median = done[Math.floor((done.length - 1) / 2)] ?? all[0]!;
  return {
    ...median,
    samples: all.map((r) => ({
      e2eMs: r.e2eP50Ms,
      ...(r.breakdown ? { queueMs: r.breakdown.queueMs } : {}),
    })),
  };
}
