import type { ColdStart } from './coldstart';
import type { IntakeRun } from './intake';
import type { ProvisioningRun } from './provisioning';
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
];

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
    'not counted.',
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
      "(each call attributed to its step by the step's run window and the call's ids; calls within a step chained where",
      "one started after the other ended; steps chained along the pipeline's dependencies" +
        (r.unattributedCalls ? `; ${r.unattributedCalls} call(s) could not be attributed` : '') +
        `). The longest chain of calls in plain time order is ${r.sequentialGraphHops}: it also strings together calls`,
      'of independent steps that ran one after another because each queue hop takes longer than a call. The',
      'dependency chain allows 10 calls in 4 hops: server app → {server secret, server service principal, client app}',
      '→ {client redirect, client service principal, app-role consent} → delegated grant.',
      '',
    );
    out.push(md(['Graph call', 'count']), sep(2));
    for (const [k, v] of Object.entries(r.callShapes ?? {}).sort((a, b) => b[1] - a[1])) out.push(md([`\`${k}\``, v]));
    out.push('');
    out.push("Step timeline (ms after the row was created, from the step ledger's history):", '');
    out.push(md(['step', 'started', 'finished', 'ran', 'Graph calls', 'of them one after another']), sep(6));
    for (const t of r.timeline ?? [])
      out.push(md([t.step, t.startMs, t.endMs, t.endMs - t.startMs, t.calls ?? 0, t.chain ?? 0]));
    out.push('');
  }

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

  out.push('## Cold start', '');
  if (!cold) {
    out.push('Not measured in this run.', '');
    return out.join('\n');
  }
  out.push(
    `A fresh \`node\` process installs \`@azure/functions-core\` (as the Functions worker does) and \`require()\`s every`,
    `dist/src/functions/*.js — the app's whole module graph, without the host. Median of ${cold.runs} processes.`,
    'Each dependency is also loaded alone in its own fresh process (time and RSS over an empty process; shared',
    'dependencies such as @azure/core-rest-pipeline are counted in each, so the rows do not add up).',
    '',
  );
  out.push(md(['what', 'load (ms)', 'RSS (MiB)', 'heap used (MiB)', 'modules']), sep(5));
  out.push(
    md([
      'empty process',
      cold.baseline.ms.toFixed(0),
      (cold.baseline.rss / 2 ** 20).toFixed(0),
      (cold.baseline.heapUsed / 2 ** 20).toFixed(1),
      cold.baseline.modules,
    ]),
    md([
      'every function',
      cold.app.ms.toFixed(0),
      (cold.app.rss / 2 ** 20).toFixed(0),
      (cold.app.heapUsed / 2 ** 20).toFixed(1),
      cold.app.modules,
    ]),
    '',
  );
  out.push(md(['dependency alone', 'load (ms)', 'RSS (MiB)']), sep(3));
  for (const i of cold.imports) out.push(md([`\`${i.name}\``, i.ms.toFixed(0), i.rssMb.toFixed(1)]));
  out.push('');
  return out.join('\n');
}
