import { coldStartMarkdown, type ColdStart } from './coldstart';
import type { IntakeRun } from './intake';
import type { E2eBreakdown, ProvisioningRun } from './provisioning';
import type { SweepRun } from './sweep';

export interface Row {
  benchmark: string;
  result: string;
  target: string;
}

/** The one table a run prints (plain text, aligned). */
export function renderTable(rows: Row[]): string {
  const head: Row = { benchmark: 'benchmark', result: 'result', target: 'target' };
  const all = [head, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
  const line = (r: Row) => `${r.benchmark.padEnd(w('benchmark'))}  ${r.result.padEnd(w('result'))}  ${r.target}`;
  return [line(head), '-'.repeat(w('benchmark') + w('result') + w('target') + 4), ...rows.map(line)].join('\n');
}

const md = (cells: (string | number)[]): string =>
  `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
const sep = (n: number): string => `|${' --- |'.repeat(n)}`;
const s = (ms: number): string => (ms / 1000).toFixed(2);

/**
 * What was changed for performance when the benchmarks were introduced, with the figures of the runs before and
 * after each change (same machine, same scenarios). Static text: it records history, the tables above are live.
 */
const CHANGES = [
  '## Changes made for performance',
  '',
  'Measured with this script on the same machine before and after (one ticket and ten tickets at 100 ms per Graph',
  'call). The machine was shared with other test runs, so wall-clock figures carry noise; call counts do not.',
  '',
  md(['change', 'before', 'after']),
  sep(3),
  md([
    'Consent is written first and read only on a conflict: `appRoleConsent` POSTs the assignment (an existing one ' +
      'counts as made), the two grants POST and read/extend scopes only on 409 "Permission entry already exists."',
    '19 Graph calls/request; delegated grant = 2 dependent calls',
    '16 Graph calls/request; delegated grant = 1',
  ]),
  md([
    '`verify` reads everything in one wave, addressed by the ids in the step ledger (a read-back that does not match ' +
      'the ledger falls back to the dependent read)',
    'verify = 3 dependent round trips',
    'verify = 1 (critical path 8 → 5 dependent hops)',
  ]),
  md([
    '`provisioningStep` sends the steps it unblocks through a queue output binding (delayed retries still use the ' +
      'SDK): the Functions host writes them and wakes its own queue listener at once instead of the listener finding ' +
      'them after its idle backoff (up to host.json maxPollingInterval, 2 s). The Azure host does the same for ' +
      'messages its own functions output.',
    '1 ticket: e2e 3.27 s; 10 tickets: p50 32.7 s, 17/min',
    'with all three, on the same loaded machine: 1 ticket 2.1–2.5 s; 10 tickets p50 20.3 s, 28/min (the run recorded here, on a quieter machine: see Summary)',
  ]),
  md([
    "`verify` checks Graph's answers to the writes, recorded in the step ledger (201 bodies; the client app is read " +
      'back by `clientRedirect`, off the critical path), and reads the registration back only when an answer ' +
      'deviates; `serverSecret` skips its app read on a first attempt after the app was created',
    "16 Graph calls/request (6 verify read-backs + the secret step's read); 5 dependent hops",
    '10 Graph calls/request (9 writes, 1 read) = the dependency-chain minimum; 4 hops',
  ]),
  md([
    'A finished step queues only the steps it unblocked (each completion used to re-queue every runnable step, so ' +
      "duplicate deliveries multiplied with the queue's depth); `verify` and `complete` run inline in the " +
      'invocation that unblocked them; the intake sends the first step through the output binding too',
    '100 tickets at 100 ms/call: 42 provisioned/min, e2e p50 127 s (loaded machine)',
    '100 tickets: 149/min, e2e p50 34 s (same loaded machine, before the quiet run recorded in Summary)',
  ]),
  md([
    'The Azure SDKs, the Graph client and jose load on first use (src/shared/lazy.ts; the composition root and the ' +
      'adapters import them as types): the worker loads every function file before the first invocation',
    'every function file: 645 ms, 755 modules, RSS 80 MiB',
    'see Cold start below (≈ 240 ms, 172 modules, RSS 60 MiB on the loaded machine)',
  ]),
];

/**
 * One ticket's end-to-end time split along its time-critical path: Graph time on the path, queue overhead, the rest.
 */
function breakdownSection(b: E2eBreakdown, latencyMs: number): string[] {
  const out: string[] = [];
  const pct = (ms: number): string => `${((ms / b.e2eMs) * 100).toFixed(0)} %`;
  out.push(
    'End-to-end along the critical path: from the last step back, each step is gated by the dependency that',
    "finished last (the first step by intake). **Graph** is the heaviest chain of the step's own calls run one after",
    "another (call durations as the emulator logged them, so the emulator's added latency is in it); **queue** is",
    "the gating step's finish (or the row's creation) → this step's start: the message hop through the queue, the",
    'listener, the invocation and the ledger write that marks the step Running; **other** is the rest of each',
    "step's run (ledger and table writes, Key Vault, tokens, the SDK) and the tail to the row's last update.",
    '',
  );
  out.push(
    md(['step', 'queued (ms)', 'ran (ms)', 'Graph on chain (ms)', 'dependent Graph calls', 'Graph calls']),
    sep(6),
  );
  for (const p of b.path) out.push(md([p.step, p.queuedMs, p.ranMs, p.graphMs, p.graphHops, p.calls]));
  out.push('');
  out.push(md(['part', 'ms', 'share of e2e', '× per-call latency']), sep(4));
  const row = (name: string, ms: number): string =>
    md([name, ms, pct(ms), latencyMs > 0 ? (ms / latencyMs).toFixed(1) : '—']);
  out.push(
    row('(a) Graph on the critical path', b.graphMs),
    row(
      `(b) queue overhead (${b.queueHops} queue hops, intake → first step included; ` +
        `${b.inlineHops} hand-offs to inline steps are in (c))`,
      b.queueMs,
    ),
    row('(c) the rest (tables, Key Vault, tokens, SDK)', b.otherMs),
    row('end-to-end', b.e2eMs),
    row('end-to-end − queue overhead', b.e2eMs - b.queueMs),
    '',
  );
  if (latencyMs > 0) {
    const net = (b.e2eMs - b.queueMs) / latencyMs;
    out.push(
      `Target "end-to-end ≤ 6 × the per-call latency plus queue overhead": (e2e − queue) / latency = ` +
        `**${net.toFixed(1)}** ${net <= 6 ? '✓' : '✗'} (e2e / latency = ${(b.e2eMs / latencyMs).toFixed(1)}; ` +
        `${b.graphHops} dependent Graph calls on this path).`,
      '',
    );
  }
  return out;
}

/** The write-budget scenario(s): the bucket's budget against what was achieved, and what the 429s cost. */
function budgetSection(runs: ProvisioningRun[]): string[] {
  const budgeted = runs.filter((r) => r.writeBudget);
  if (budgeted.length === 0) return [];
  const out: string[] = ['### Write budget', ''];
  out.push(
    "The Graph emulator's per-tenant write token bucket (`writeBucketCapacity` burst, `writeBucketRefillPerSecond`",
    'tokens per second, for POST/PATCH/PUT/DELETE of one app in one tenant) answers a write without a token with 429,',
    '`Retry-After` = ceil((1 − tokens) / refill) s (at least 1 s) and `x-ms-throttle-scope: Tenant_Application_Write`.',
    "The app's Graph client sleeps Retry-After and tries again (within GRAPH_RETRY_MAX_SECONDS, then the queue",
    'retries the step). The bucket is made the bottleneck on purpose: its budget is refill × 60 / writes per request',
    'requests per minute, writes per request being the writes the bucket admitted in this run (from the call log;',
    'a write admitted and answered 409 took a token too) ÷ tickets. Token use = admitted writes ÷ (burst + refill ×',
    'wall seconds): 1.00 means no token went unused. 429s per admitted write is the retry overhead. Every',
    "ticket's steps compete for the same tokens: e2e min (the first ticket to finish) against e2e max shows whether",
    'tickets finish one by one or all together near the end.',
    '',
  );
  out.push(
    md([
      'bucket (burst, refill/s)',
      'tickets',
      'ok / failed / unfinished',
      'wall (s)',
      'admitted writes/request',
      'budget (requests/min)',
      'achieved (provisioned/min)',
      'achieved / budget',
      'token use',
      '429s/request',
      '429s per admitted write',
      'Graph calls (all) / admitted writes',
      'e2e min (s)',
      'e2e p50 (s)',
      'e2e max (s)',
    ]),
    sep(15),
  );
  for (const r of budgeted) {
    const b = r.writeBudget!;
    out.push(
      md([
        `${b.capacity}, ${b.refillPerSecond}`,
        r.concurrency,
        `${r.succeeded} / ${r.failed} / ${r.unfinished}`,
        s(r.wallMs),
        b.admittedWritesPerRequest.toFixed(1),
        b.budgetPerMinute.toFixed(1),
        r.perMinute.toFixed(1),
        b.ratio.toFixed(2),
        b.tokenUse.toFixed(2),
        r.http429PerRequest.toFixed(1),
        b.bucket429PerWrite.toFixed(2),
        `${b.totalCalls} / ${b.admittedWrites}`,
        s(r.e2eMinMs),
        s(r.e2eP50Ms),
        s(r.e2eMaxMs),
      ]),
    );
  }
  out.push('');
  for (const r of budgeted.filter((x) => x.callLogFull))
    out.push(`The call log was full (10,000 calls) in "${r.label}": its call counts are a lower bound.`, '');
  return out;
}

export function renderMarkdown(input: {
  machine: Record<string, string>;
  rows: Row[];
  runs: ProvisioningRun[];
  intake: IntakeRun | undefined;
  cold: ColdStart | undefined;
  sweep: SweepRun[] | undefined;
  elapsedMs: number;
  latencyMs: number;
}): string {
  const { machine, rows, runs, intake, cold, latencyMs } = input;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(
    'Written by `npm run bench` (scripts/bench/). Every figure below comes from the run recorded here, on the local',
    'stack (`dist/dev/start.js --free-ports`: Azurite, the HTTPS Entra/Graph/Key Vault emulators and the local',
    'Functions host), all on loopback. Numbers on another machine will differ; the ratios and call counts should not.',
    '',
  );
  out.push('## Machine', '');
  out.push(md(['CPU', 'memory', 'Node.js', 'OS', 'load average at start (1/5/15 min)', 'run at', 'run took']), sep(7));
  out.push(
    md([
      machine.cpu!,
      machine.memory!,
      machine.node!,
      machine.platform!,
      machine.load!,
      machine.date!,
      `${s(input.elapsedMs)} s`,
    ]),
    '',
  );
  out.push('## Summary', '');
  out.push(md(['benchmark', 'result', 'target']), sep(3));
  for (const r of rows) out.push(md([r.benchmark, r.result, r.target]));
  out.push('');

  out.push(...CHANGES, '');
  out.push('## Provisioning', '');
  out.push(
    `Each scenario POSTs its tickets at once (unique ticket ids, one tenant), waits until every row in the`,
    "`registrations` table is Succeeded or Failed, then reads the Graph emulator's call log (`GET /_emulator/calls`).",
    `Latency is the emulator's \`latencyMs\` fault (${latencyMs} ms added to every Graph call). One unmeasured ticket`,
    'warms the host first (module load, token acquisition, the Graph service principal lookup the directory caches).',
    "End-to-end is the row's `createdAt` → `updatedAt` when it finished (server clock); throughput is requests",
    'Succeeded / (first POST → last finish). Token requests to Entra and Key Vault calls are not Graph calls and are',
    'not counted. Each group of scenarios (no faults + 1 and 10 tickets; 100 tickets; the write budget) runs on a',
    'fresh stack. Targets (issue 8), for one ticket: ≤ 12 Graph calls, ≤ 5 dependent hops, end-to-end ≤ 6 × the',
    'per-call latency plus queue overhead.',
    '',
  );
  out.push(
    md([
      'scenario',
      'tickets',
      'ok / failed / unfinished',
      'wall (s)',
      'provisioned/min',
      'Graph calls/request',
      'writes/request',
      '429s/request',
      'e2e p50 (s)',
      'e2e max (s)',
    ]),
    sep(10),
  );
  for (const r of runs) {
    out.push(
      md([
        r.label,
        r.concurrency,
        `${r.succeeded} / ${r.failed} / ${r.unfinished}`,
        s(r.wallMs),
        r.perMinute.toFixed(0),
        r.graphCallsPerRequest.toFixed(1),
        r.writesPerRequest.toFixed(1),
        r.http429PerRequest.toFixed(2),
        s(r.e2eP50Ms),
        s(r.e2eMaxMs),
      ]),
    );
  }
  out.push('');
  for (const r of runs.filter((x) => x.concurrency === 1)) {
    out.push(`### One ticket, ${r.label}`, '');
    out.push(
      `${r.graphCallsPerRequest} Graph calls. Dependent Graph round trips on the critical path: **${r.criticalPathHops}**`,
      "(each call attributed to its step by the step's run window and the call's ids — a call two running steps could",
      'both have made, such as the two grants’ POSTs, to the one with fewer calls so far; calls within a step chained',
      "where one started after the other ended; steps chained along the pipeline's dependencies" +
        (r.unattributedCalls ? `; ${r.unattributedCalls} call(s) could not be attributed` : '') +
        `). The longest chain of calls in plain time order is ${r.sequentialGraphHops}: it also strings together calls`,
      'of independent steps that ran one after another because each queue hop takes longer than a call. The',
      'dependency chain allows 10 calls in 4 hops: server app → {server secret, server service principal, client app}',
      '→ {client redirect, client service principal, app-role consent} → delegated grant.',
      '',
    );
    if (r.samples) {
      out.push(
        `Run ${r.samples.length} times one after another; the figures here are those of the run with the median`,
        'end-to-end. Every run:',
        '',
        md(['run', 'e2e (ms)', 'queue overhead (ms)', 'e2e − queue (ms)']),
        sep(4),
        ...r.samples.map((x, i) =>
          md([i + 1, x.e2eMs, x.queueMs ?? '—', x.queueMs !== undefined ? x.e2eMs - x.queueMs : '—']),
        ),
        '',
      );
    }
    out.push(md(['Graph call', 'count']), sep(2));
    for (const [k, v] of Object.entries(r.callShapes ?? {}).sort((a, b) => b[1] - a[1])) out.push(md([`\`${k}\``, v]));
    out.push('');
    out.push("Step timeline (ms after the row was created, from the step ledger's history):", '');
    out.push(md(['step', 'started', 'finished', 'ran', 'Graph calls', 'of them one after another']), sep(6));
    for (const t of r.timeline ?? [])
      out.push(md([t.step, t.startMs, t.endMs, t.endMs - t.startMs, t.calls ?? 0, t.chain ?? 0]));
    out.push('');
    if (r.breakdown) out.push(...breakdownSection(r.breakdown, r.latencyMs));
  }
  out.push(...budgetSection(runs));

  out.push('## Intake', '');
  if (intake) {
    out.push(
      `${intake.callers} concurrent callers POST new CMG tickets (unique ticket ids) to \`/api/registrations\` on the`,
      'local host for at most 20 s or 5,000 requests, after 100 unmeasured warm-up requests. autocannon is not a',
      "dependency of this project, so the load generator is scripts/bench/intake.ts: Node's fetch (undici),",
      'latency per request from send to the full response body, percentiles computed from every sample (nearest',
      'rank). While it runs, Graph answers only after 30 s, so the provisioning the new tickets start stays parked',
      '(one queue batch in flight) and the host spends its CPU on intake.',
      '',
    );
    out.push(
      md(['callers', 'requests', 'duration (s)', 'req/s', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'statuses']),
      sep(8),
    );
    out.push(
      md([
        intake.callers,
        intake.requests,
        s(intake.durationMs),
        intake.perSecond.toFixed(0),
        intake.p50Ms.toFixed(1),
        intake.p99Ms.toFixed(1),
        intake.maxMs.toFixed(1),
        Object.entries(intake.statuses)
          .map(([k, v]) => `${v}×${k}`)
          .join(', '),
      ]),
      '',
    );
  } else out.push('Not measured in this run.', '');

  out.push('## Renewal sweep', '');
  if (input.sweep && input.sweep.length > 0) {
    out.push(md(['tracked apps', 'due', 'run time (s)', 'Table operations', 'detail']), sep(5));
    for (const w of input.sweep) out.push(md([w.tracked, w.due, s(w.runMs), w.tableOperations, w.detail]));
    out.push('');
  } else {
    out.push(
      'Not available: when this run was made there was no renewal sweep use case (src/shared/lifecycle) to',
      'measure. No numbers are given rather than invented ones.',
      '',
    );
  }

  out.push(...coldStartSection(cold));
  return out.join('\n');
}

function coldStartSection(cold: ColdStart | undefined): string[] {
  return ['## Cold start', '', ...(cold ? coldStartMarkdown(cold) : ['Not measured in this run.', ''])];
}
