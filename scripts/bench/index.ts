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
import { coldStart, type ColdStart } from './coldstart';
import { intakeLoad, type IntakeRun } from './intake';
import { provision, type ProvisioningRun } from './provisioning';
import { renderMarkdown, renderTable, type Row } from './report';
import { startBenchStack } from './stack';
import { sweepBenchmarks, type SweepRun } from './sweep';

const LATENCY_MS = 100;
/** The dependency chain's minimum: see docs/benchmarks.md. */
const MIN_CALLS = 10;
const MIN_HOPS = 4;
const BUCKET = { writeBucketCapacity: 20, writeBucketRefillPerSecond: 10 };

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
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : undefined;
  const want = (what: string): boolean => !only || only.has(what);

  log('cold start (fresh processes)…');
  const cold: ColdStart | undefined = want('cold') ? coldStart(5) : undefined;

  const runs: ProvisioningRun[] = [];
  let intake: IntakeRun | undefined;
  type Scenario = { label: string; concurrency: number; faults: Record<string, unknown>; timeoutMs: number };
  // Each group runs on a fresh stack, so a scenario that did not finish in its time bound cannot leave work
  // behind that slows down (or pollutes the call log of) the next one.
  const groups: Scenario[][] = [
    [
      { label: 'no faults', concurrency: 1, faults: {}, timeoutMs: 60_000 },
      { label: `${LATENCY_MS} ms/call`, concurrency: 1, faults: { latencyMs: LATENCY_MS }, timeoutMs: 60_000 },
      { label: `${LATENCY_MS} ms/call`, concurrency: 10, faults: { latencyMs: LATENCY_MS }, timeoutMs: 120_000 },
    ],
    [{ label: `${LATENCY_MS} ms/call`, concurrency: 100, faults: { latencyMs: LATENCY_MS }, timeoutMs: 240_000 }],
    [
      {
        label: `${LATENCY_MS} ms/call + write bucket ${BUCKET.writeBucketCapacity}/${BUCKET.writeBucketRefillPerSecond} per s`,
        concurrency: 30,
        faults: { latencyMs: LATENCY_MS, ...BUCKET },
        timeoutMs: 150_000,
      },
    ],
  ];
  // `--max-tickets N` skips the larger scenarios (for iterating).
  const maxArg = process.argv.indexOf('--max-tickets');
  const maxTickets = maxArg > 0 ? Number(process.argv[maxArg + 1]) : Infinity;
  for (const group of want('provisioning') ? groups : []) {
    const scenarios = group.filter((x) => x.concurrency <= maxTickets);
    if (scenarios.length === 0) continue;
    log('starting a local stack…');
    const stack = await startBenchStack();
    try {
      log('warm-up ticket (not measured)…');
      await provision(stack, { label: 'warm-up', concurrency: 1, faults: {}, timeoutMs: 60_000 });
      for (const s of scenarios) {
        log(`provisioning: ${s.label}, ${s.concurrency} concurrent…`);
        const r = await provision(stack, s);
        log(
          `  ${r.succeeded} ok, ${r.failed} failed, ${r.unfinished} unfinished in ${(r.wallMs / 1000).toFixed(1)} s; ` +
            `${r.graphCallsPerRequest.toFixed(1)} Graph calls/request`,
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

  log('renewal sweep…');
  const sweep: SweepRun[] | undefined = want('sweep') ? await sweepBenchmarks(log) : undefined;

  const single = runs.find((r) => r.concurrency === 1 && r.latencyMs === LATENCY_MS);
  const rows: Row[] = [];
  for (const r of runs) {
    const name = `provision ${r.concurrency} ticket${r.concurrency > 1 ? 's' : ''}, ${r.label}`;
    const extra = r.http429 > 0 ? `, ${r.http429PerRequest.toFixed(1)} 429s/request` : '';
    rows.push({
      benchmark: name,
      result:
        `${r.graphCallsPerRequest.toFixed(1)} Graph calls/request` +
        (r.criticalPathHops !== undefined
          ? `, ${r.criticalPathHops} dependent hops (${r.sequentialGraphHops} in time order)`
          : '') +
        (r.succeeded + r.failed === 0
          ? ', none finished within the time bound'
          : `, e2e p50 ${(r.e2eP50Ms / 1000).toFixed(2)} s`) +
        (r.concurrency > 1 ? `, ${r.perMinute.toFixed(0)} provisioned/min` : '') +
        extra +
        (r.failed || r.unfinished ? `, ${r.failed} failed, ${r.unfinished} unfinished` : ''),
      target: r.concurrency === 1 ? `≤ 12 calls, ≤ 5 hops${r.latencyMs ? ', ≤ 0.6 s + queue' : ''}` : '',
    });
  }
  if (single?.criticalPathHops !== undefined) {
    rows.push({
      benchmark: 'vs. dependency-chain minimum (10 calls, 4 hops)',
      result:
        `${(single.graphCallsPerRequest / MIN_CALLS).toFixed(2)}× calls, ` +
        `${(single.criticalPathHops / MIN_HOPS).toFixed(2)}× hops; ` +
        `e2e ${(single.e2eP50Ms / LATENCY_MS).toFixed(1)}× per-call latency`,
      target: '≤ 1.2× calls, ≤ 1.25× hops, ≤ 6× + queue',
    });
  }
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
