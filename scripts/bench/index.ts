/**
 * `npm run bench`: starts the local stack (Azurite, the Entra/Graph/Key Vault emulators, the local Functions host)
 * on free ports, runs every benchmark against it on loopback, prints one table and writes docs/benchmarks.md.
 * Every loop is bounded in count and time; the stack is stopped at the end.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDevCertificates } from '../../dev/certs';
import { PROJECT_ROOT } from '../../dev/paths';
import { coldStart, coldStartSummaryRows, type ColdStart } from './coldstart';
import { intakeLoad, type IntakeRun } from './intake';
import { provision, provisionRepeated, type ProvisioningRun, type ProvisioningScenario } from './provisioning';
import { renderMarkdown, renderTable, type Row } from './report';
import { startBenchStack } from './stack';
import { sweepBenchmarks, type SweepRun } from './sweep';

const LATENCY_MS = 100;
/** The dependency chain's minimum: see docs/benchmarks.md. */
const MIN_CALLS = 10;
const MIN_HOPS = 4;
/** Issue 8's targets for one ticket: Graph calls, dependent hops, e2e in per-call latencies (plus queue overhead). */
const TARGET_CALLS = 12;
const TARGET_HOPS = 5;
const TARGET_E2E_LATENCIES = 6;
/**
 * The write budget scenario: a per-tenant bucket small enough to be the bottleneck (refill × 60 / ~9 writes per
 * request ≈ 13 requests/min, well below what the stack provisions unthrottled), a burst smaller than one request's
 * writes, and enough tickets to run for minutes at the budget. `--bucket C/R` and `--budget-tickets N` override.
 */
const BUCKET = { writeBucketCapacity: 5, writeBucketRefillPerSecond: 2 };
const BUDGET_TICKETS = 30;
/** Achieved throughput at or above this share of the budget counts as "near the budget". */
const BUDGET_NEAR = 0.8;

/** One ticket's end-to-end is a single noisy sample: the one-ticket scenarios run this often and keep the median. */
const SINGLE_REPEATS = 5;

const mark = (ok: boolean): string => (ok ? '✓' : '✗');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = {
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
  // `npm run bench -- --only provisioning,intake,sweep,cold` runs a subset (for iterating; the docs want all).
  // The provisioning groups can be picked alone too: latency (no faults, 1 and 10 tickets), load100, budget.
  const onlyArg = flag('--only');
  const only = onlyArg !== undefined ? new Set(onlyArg.split(',')) : undefined;
  const want = (what: string): boolean => !only || only.has(what);

  let cold: ColdStart | undefined;
  if (want('cold')) {
    log('cold start (fresh processes)…');
    cold = coldStart(5);
  }

  const runs: ProvisioningRun[] = [];
  let intake: IntakeRun | undefined;
  const bucketArg = flag('--bucket')?.split('/').map(Number);
  const bucket =
    bucketArg && bucketArg.length === 2 && bucketArg.every((x) => Number.isFinite(x) && x > 0)
      ? { writeBucketCapacity: bucketArg[0]!, writeBucketRefillPerSecond: bucketArg[1]! }
      : BUCKET;
  const budgetTickets = Number(flag('--budget-tickets') ?? BUDGET_TICKETS);
  // Bounded by twice the time the budget allows for ~10 writes per request, plus a minute.
  const budgetTimeoutMs = Math.max(120, (2 * budgetTickets * 10) / bucket.writeBucketRefillPerSecond + 60) * 1000;
  type Group = { name: string; scenarios: ProvisioningScenario[] };
  // Each group runs on a fresh stack, so a scenario that did not finish in its time bound cannot leave work
  // behind that slows down (or pollutes the call log of) the next one.
  const groups: Group[] = [
    {
      name: 'latency',
      scenarios: [
        { label: 'no faults', concurrency: 1, faults: {}, timeoutMs: 60_000, repeat: SINGLE_REPEATS },
        {
          label: `${LATENCY_MS} ms/call`,
          concurrency: 1,
          faults: { latencyMs: LATENCY_MS },
          timeoutMs: 60_000,
          repeat: SINGLE_REPEATS,
        },
        { label: `${LATENCY_MS} ms/call`, concurrency: 10, faults: { latencyMs: LATENCY_MS }, timeoutMs: 120_000 },
      ],
    },
    {
      name: 'load100',
      scenarios: [
        { label: `${LATENCY_MS} ms/call`, concurrency: 100, faults: { latencyMs: LATENCY_MS }, timeoutMs: 240_000 },
      ],
    },
    {
      name: 'budget',
      scenarios: [
        {
          label:
            `${LATENCY_MS} ms/call + write bucket ${bucket.writeBucketCapacity} burst, ` +
            `${bucket.writeBucketRefillPerSecond}/s`,
          concurrency: budgetTickets,
          faults: { latencyMs: LATENCY_MS, ...bucket },
          timeoutMs: budgetTimeoutMs,
        },
      ],
    },
  ];
  // `--max-tickets N` skips the larger scenarios (for iterating).
  const maxArg = flag('--max-tickets');
  const maxTickets = maxArg !== undefined ? Number(maxArg) : Infinity;
  for (const group of groups) {
    if (!want('provisioning') && !want(group.name)) continue;
    const scenarios = group.scenarios.filter((x) => x.concurrency <= maxTickets);
    if (scenarios.length === 0) continue;
    log(`starting a local stack (${group.name})…`);
    const stack = await startBenchStack();
    try {
      log('warm-up ticket (not measured)…');
      await provision(stack, { label: 'warm-up', concurrency: 1, faults: {}, timeoutMs: 60_000 });
      for (const s of scenarios) {
        log(
          `provisioning: ${s.label}, ${s.concurrency} concurrent` +
            `${s.repeat ? `, ${s.repeat} runs` : ''} (bound ${(s.timeoutMs / 1000).toFixed(0)} s)…`,
        );
        const r = await provisionRepeated(stack, { ...s, group: group.name });
        log(
          `  ${r.succeeded} ok, ${r.failed} failed, ${r.unfinished} unfinished in ${(r.wallMs / 1000).toFixed(1)} s; ` +
            `${r.graphCallsPerRequest.toFixed(1)} Graph calls/request, ${r.http429} 429s`,
        );
        runs.push(r);
      }
    } finally {
      log('stopping the stack…');
      await stack.stop();
    }
  }

  // Intake alone, on its own stack: Graph answers after 30 s, so the pipeline the new tickets start stays parked
  // (at most one queue batch in flight) and the host's CPU goes to the HTTP path being measured.
  if (want('intake')) {
    log('starting a local stack…');
    const stack = await startBenchStack();
    try {
      log('intake: 50 concurrent callers…');
      await stack.admin(`${stack.info.emulators.graphAdmin}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ latencyMs: 30_000 }),
      });
      intake = await intakeLoad(stack, { callers: 50, maxRequests: 5_000, maxMs: 20_000, warmup: 100 });
      log(`  ${intake.requests} requests, ${intake.perSecond.toFixed(0)}/s, p50 ${intake.p50Ms.toFixed(1)} ms`);
    } finally {
      log('stopping the stack…');
      await stack.stop();
    }
  }

  let sweep: SweepRun[] | undefined;
  if (want('sweep')) {
    log('renewal sweep…');
    sweep = await sweepBenchmarks(log);
  }

  const rows = summaryRows(runs);
  if (intake) {
    rows.push({
      benchmark: `intake POST /api/registrations, ${intake.callers} callers`,
      result:
        `${intake.perSecond.toFixed(0)} req/s, p50 ${intake.p50Ms.toFixed(1)} ms, p99 ${intake.p99Ms.toFixed(1)} ms ` +
        `(${intake.requests} requests, ${Object.entries(intake.statuses)
          .map(([s, n]) => `${n}×${s}`)
          .join(' ')})`,
      target: '',
    });
  }
  if (!want('sweep')) {
    // not run
  } else if (sweep && sweep.length > 0) {
    for (const s of sweep) {
      rows.push({
        benchmark: `renewal sweep, ${s.tracked.toLocaleString('en-US')} tracked apps, ${s.due} due`,
        result: `${(s.runMs / 1000).toFixed(2)} s, ${s.tableOperations} Table operations (${s.detail})`,
        target: '',
      });
    }
  } else {
    rows.push({
      benchmark: 'renewal sweep, 10,000 / 100,000 tracked apps, 1% due',
      result: 'not available (no sweep use case in src/shared/lifecycle yet)',
      target: '',
    });
  }
  if (cold)
    rows.push({
      benchmark: 'cold start: require() every dist/src/functions/*.js',
      result:
        `${cold.app.ms.toFixed(0)} ms, RSS ${(cold.app.rss / 2 ** 20).toFixed(0)} MiB, ` +
        `heap ${(cold.app.heapUsed / 2 ** 20).toFixed(0)} MiB, ${cold.app.modules} modules`,
      target: '',
    });
  if (cold) rows.push(...coldStartSummaryRows(cold));

  const table = renderTable(rows);
  process.stdout.write(`\n${table}\n`);
  const file = path.join(PROJECT_ROOT, 'docs', 'benchmarks.md');
  writeFileSync(
    file,
    renderMarkdown({
      machine,
      rows,
      runs,
      intake,
      cold,
      sweep,
      elapsedMs: Date.now() - started,
      latencyMs: LATENCY_MS,
    }),
  );
  log(`wrote ${path.relative(process.cwd(), file)} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const range = (values: number[], unit: string): string =>
  `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}${unit === 's' ? ' s' : unit}`;

/** The provisioning rows of the summary, each with its target and ✓/✗ where the issue sets one. */
function summaryRows(runs: ProvisioningRun[]): Row[] {
  const rows: Row[] = [];
  for (const r of runs) {
    const name = `provision ${r.concurrency} ticket${r.concurrency > 1 ? 's' : ''}, ${r.label}`;
    const finished = r.succeeded + r.failed > 0;
    const incomplete = r.failed || r.unfinished ? `, ${r.failed} failed, ${r.unfinished} unfinished` : '';
    if (r.writeBudget) {
      const b = r.writeBudget;
      const ok = r.failed === 0 && r.unfinished === 0 && b.ratio >= BUDGET_NEAR;
      rows.push({
        benchmark: name,
        result:
          `${r.perMinute.toFixed(1)} provisioned/min vs budget ${b.budgetPerMinute.toFixed(1)}/min ` +
          `(${b.refillPerSecond}/s × 60 / ${b.admittedWritesPerRequest.toFixed(1)} writes) = ${b.ratio.toFixed(2)}×; ` +
          `${r.http429PerRequest.toFixed(1)} 429s/request; ${b.totalCalls} Graph calls for ${b.admittedWrites} ` +
          `admitted writes; e2e p50 ${sec(r.e2eP50Ms)}, max ${sec(r.e2eMaxMs)}; wall ${sec(r.wallMs)}` +
          incomplete,
        target: `near the budget (≥ ${BUDGET_NEAR}×), every ticket finishes ${mark(ok)}`,
      });
      continue;
    }
    const targets: string[] = [];
    if (r.concurrency === 1 && finished) {
      targets.push(`calls ≤ ${TARGET_CALLS} ${mark(r.graphCallsPerRequest <= TARGET_CALLS)}`);
      if (r.criticalPathHops !== undefined)
        targets.push(`hops ≤ ${TARGET_HOPS} ${mark(r.criticalPathHops <= TARGET_HOPS)}`);
      if (r.latencyMs > 0 && r.breakdown) {
        const net = (r.breakdown.e2eMs - r.breakdown.queueMs) / r.latencyMs;
        targets.push(`e2e ≤ ${TARGET_E2E_LATENCIES}× latency + queue ${mark(net <= TARGET_E2E_LATENCIES)}`);
      }
    }
    rows.push({
      benchmark: name,
      result:
        `${r.graphCallsPerRequest.toFixed(1)} Graph calls/request` +
        (r.criticalPathHops !== undefined
          ? `, ${r.criticalPathHops} dependent hops (${r.sequentialGraphHops} in time order)`
          : '') +
        (finished
          ? `, e2e ${r.concurrency > 1 ? 'p50 ' : ''}${sec(r.e2eP50Ms)}`
          : ', none finished within the time bound') +
        (r.samples
          ? ` (median of ${r.samples.length} runs, ${range(
              r.samples.map((x) => x.e2eMs / 1000),
              's',
            )})`
          : '') +
        (r.concurrency > 1 ? `, max ${sec(r.e2eMaxMs)}, ${r.perMinute.toFixed(0)} provisioned/min` : '') +
        (r.http429 > 0 ? `, ${r.http429PerRequest.toFixed(1)} 429s/request` : '') +
        incomplete,
      target: targets.join(', '),
    });
  }
  const single = runs.find((r) => r.concurrency === 1 && r.latencyMs === LATENCY_MS && !r.writeBudget);
  const b = single?.breakdown;
  if (single && b) {
    const L = single.latencyMs;
    const net = (b.e2eMs - b.queueMs) / L;
    const nets = (single.samples ?? []).filter((x) => x.queueMs !== undefined).map((x) => (x.e2eMs - x.queueMs!) / L);
    rows.push({
      benchmark: `e2e breakdown, 1 ticket, ${L} ms/call (critical path)`,
      result:
        `e2e ${sec(b.e2eMs)} = Graph ${sec(b.graphMs)} (${b.graphHops} dependent calls) + queue ${sec(b.queueMs)} ` +
        `(${b.queueHops} queue hops; ${b.inlineHops} steps inline) + other ${sec(b.otherMs)}; e2e = ${(b.e2eMs / L).toFixed(1)}× latency, ` +
        `e2e − queue = ${net.toFixed(1)}× latency` +
        (nets.length > 1 ? ` (median run; ${nets.length} runs: ${range(nets, '×')})` : ''),
      target: `e2e − queue ≤ ${TARGET_E2E_LATENCIES}× latency ${mark(net <= TARGET_E2E_LATENCIES)}`,
    });
  }
  if (single?.criticalPathHops !== undefined) {
    const calls = single.graphCallsPerRequest / MIN_CALLS;
    const hops = single.criticalPathHops / MIN_HOPS;
    rows.push({
      benchmark: `vs. dependency-chain minimum (${MIN_CALLS} calls, ${MIN_HOPS} hops)`,
      result:
        `${calls.toFixed(2)}× calls, ${hops.toFixed(2)}× hops; ` +
        `e2e ${(single.e2eP50Ms / LATENCY_MS).toFixed(1)}× per-call latency` +
        (b ? ` (${((b.e2eMs - b.queueMs) / LATENCY_MS).toFixed(1)}× without queue overhead)` : ''),
      target:
        `≤ ${(TARGET_CALLS / MIN_CALLS).toFixed(1)}× calls ${mark(calls <= TARGET_CALLS / MIN_CALLS)}, ` +
        `≤ ${(TARGET_HOPS / MIN_HOPS).toFixed(2)}× hops ${mark(hops <= TARGET_HOPS / MIN_HOPS)}`,
    });
  }
  return rows;
}

/** The emulators serve HTTPS with the dev CA: run again with NODE_EXTRA_CA_CERTS (as `npm test` does) if unset. */
async function withDevCa(): Promise<void> {
  if (process.env.BENCH_CHILD === '1') return main();
  const { caPath } = await ensureDevCertificates();
  const child = spawn(process.execPath, process.argv.slice(1), {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath, BENCH_CHILD: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`benchmark process exited with ${code}`);
}

withDevCa().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
