import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/paths';

export interface LoadSample {
  ms: number;
  rss: number;
  heapUsed: number;
  modules: number;
  /** With an entry: the part of `ms` spent loading the function files, before the entry's first invocation. */
  loadMs?: number;
  /** CPU time (user + system) of the whole process, Node's own start included; steadier than `ms` under load. */
  cpuMs?: number;
  /** Every package with a module loaded (`@scope/name`), sorted. */
  packages?: string[];
}

/** A function whose first invocation on a fresh worker the benchmark follows, under one set of app settings. */
export interface EntryPoint {
  /** `--entry` of coldstart-child.ts. */
  entry: 'intake' | 'step';
  /** The function (src/functions/<fn>.ts). */
  fn: string;
  /** `--settings` of coldstart-child.ts: `local` (connection string, client secret) or `azure` (as infra/ deploys). */
  settings: 'local' | 'azure';
  label: string;
}

export interface EntryStart extends EntryPoint {
  /**
   * A fresh process that loads every function file (as the worker does) and then makes what the function's first
   * invocation makes before its first network call. `ms`: from the worker's core module to that point (median);
   * `loadMs`: the function files' part of it; memory and modules at that point.
   */
  sample: LoadSample & { loadMs: number; packages: string[] };
  /** Which of HEAVY_PACKAGES were loaded by then. */
  heavy: string[];
}

export interface ColdStart {
  runs: number;
  baseline: LoadSample;
  app: LoadSample;
  /** Each heavy dependency alone, in a fresh process (median time, RSS). */
  imports: { name: string; ms: number; rssMb: number }[];
  /** Per entry function: a fresh process to its first invocation's dependencies loaded. */
  entries: EntryStart[];
}

/** The dependencies that dominate load time; the entry rows say which of them each first invocation loaded. */
export const HEAVY_PACKAGES = [
  '@azure/data-tables',
  '@azure/storage-queue',
  '@azure/identity',
  '@azure/keyvault-secrets',
  '@microsoft/microsoft-graph-client',
  'jose',
  'zod',
] as const;

export const ENTRY_POINTS: readonly EntryPoint[] = [
  { entry: 'intake', fn: 'submitRegistration', settings: 'local', label: 'intake-first: POST /api/registrations' },
  { entry: 'intake', fn: 'submitRegistration', settings: 'azure', label: 'intake-first: POST /api/registrations' },
  { entry: 'step', fn: 'provisioningStep', settings: 'local', label: 'step-first: provisioningStep (queue)' },
  { entry: 'step', fn: 'provisioningStep', settings: 'azure', label: 'step-first: provisioningStep (queue)' },
];

const CHILD = path.join(PROJECT_ROOT, 'dist', 'scripts', 'bench', 'coldstart-child.js');

/** One fresh process running coldstart-child.js with `args` (options first, then modules). */
export function sample(args: string[]): LoadSample {
  const out = execFileSync(process.execPath, [CHILD, ...args], { cwd: PROJECT_ROOT, timeout: 60_000 });
  return JSON.parse(out.toString().trim().split('\n').pop()!) as LoadSample;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function medianSample(args: string[], runs: number): LoadSample {
  const samples = Array.from({ length: runs }, () => sample(args));
  const optional = (pick: (s: LoadSample) => number | undefined): number[] =>
    samples.flatMap((s) => {
      const v = pick(s);
      return v === undefined ? [] : [v];
    });
  const loadMs = optional((s) => s.loadMs);
  const cpuMs = optional((s) => s.cpuMs);
  return {
    ms: median(samples.map((s) => s.ms)),
    rss: median(samples.map((s) => s.rss)),
    heapUsed: median(samples.map((s) => s.heapUsed)),
    modules: median(samples.map((s) => s.modules)),
    ...(loadMs.length ? { loadMs: median(loadMs) } : {}),
    ...(cpuMs.length ? { cpuMs: median(cpuMs) } : {}),
    packages: samples[0]?.packages ?? [],
  };
}

/** Every dist/src/functions/*.js: what the worker loads (package.json `main`) before any invocation. */
export function functionFiles(): string[] {
  const dir = path.join(PROJECT_ROOT, 'dist', 'src', 'functions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => path.join(dir, f));
}

const heavyOf = (packages: readonly string[]): string[] => HEAVY_PACKAGES.filter((p) => packages.includes(p));

/**
 * `require()` of every dist/src/functions/*.js in a fresh process (no host), then each entry function's first
 * invocation, and each heavy dependency alone; medians of `runs` processes each.
 */
export function coldStart(runs: number): ColdStart {
  const files = functionFiles();
  const baseline = medianSample([], runs);
  const app = medianSample(files, runs);
  const entries = ENTRY_POINTS.map((e): EntryStart => {
    const s = medianSample([`--entry=${e.entry}`, `--settings=${e.settings}`, ...files], runs);
    const packages = s.packages ?? [];
    return { ...e, sample: { ...s, loadMs: s.loadMs ?? 0, packages }, heavy: heavyOf(packages) };
  });
  const candidates = [
    '@azure/functions',
    '@azure/identity',
    '@microsoft/microsoft-graph-client',
    '@azure/keyvault-secrets',
    '@azure/data-tables',
    '@azure/storage-queue',
    'zod',
    'jose',
    path.join(PROJECT_ROOT, 'dist', 'src', 'shared', 'composition.js'),
  ];
  const imports = candidates.map((name) => {
    const s = medianSample([name], runs);
    return {
      name: name.startsWith(PROJECT_ROOT) ? path.relative(path.join(PROJECT_ROOT, 'dist'), name) : name,
      ms: s.ms - baseline.ms,
      rssMb: (s.rss - baseline.rss) / 2 ** 20,
    };
  });
  return { runs, baseline, app, imports, entries };
}

const md = (cells: (string | number)[]): string =>
  `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
const sep = (n: number): string => `|${' --- |'.repeat(n)}`;
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const cpu = (s: LoadSample): string => (s.cpuMs === undefined ? '' : s.cpuMs.toFixed(0));
const sdks = (packages: readonly string[]): string =>
  heavyOf(packages)
    .map((p) => `\`${p}\``)
    .join(', ') || 'none';
const SETTINGS_LABEL: Record<EntryPoint['settings'], string> = {
  local: 'local (storage connection string, client secret)',
  azure: 'Azure (identity-based storage, managed identity federation)',
};

/** Summary-table rows for the entry functions (report.ts's Row shape), for the Summary and the console. */
export function coldStartSummaryRows(cold: ColdStart): { benchmark: string; result: string; target: string }[] {
  return cold.entries.map((e) => ({
    benchmark: `cold start: ${e.label}, ${e.settings} settings`,
    result:
      `${e.sample.ms.toFixed(0)} ms to ready (${e.sample.loadMs.toFixed(0)} ms loading every function file), ` +
      `RSS ${mib(e.sample.rss)} MiB, ${e.sample.modules} modules`,
    target: '',
  }));
}

/** The first-invocation part of the Cold start section: a paragraph and one row per entry point. */
export function coldStartEntryMarkdown(cold: ColdStart): string[] {
  const out = [
    'First invocation: the same fresh process then makes what one function’s first invocation makes before its first',
    'network call (scripts/bench/coldstart-child.ts: the composition root’s services and the clients that function',
    'uses; nothing connects), so every module that invocation needs is loaded. "ready" is the time from the worker’s',
    'core module to that point, the function files included; CPU is the whole process’s (Node’s own start',
    'included), steadier than wall-clock on a busy machine. The SDKs load on first use (src/shared/composition.ts),',
    'so each row lists the ones it loaded.',
    '',
    md([
      'first invocation',
      'settings',
      'ready (ms)',
      'of it: function files (ms)',
      'CPU (ms)',
      'RSS (MiB)',
      'heap used (MiB)',
      'modules',
      'SDKs loaded',
    ]),
    sep(9),
  ];
  for (const e of cold.entries) {
    out.push(
      md([
        e.label,
        SETTINGS_LABEL[e.settings],
        e.sample.ms.toFixed(0),
        e.sample.loadMs.toFixed(0),
        cpu(e.sample),
        mib(e.sample.rss),
        (e.sample.heapUsed / 2 ** 20).toFixed(1),
        e.sample.modules,
        sdks(e.sample.packages),
      ]),
    );
  }
  out.push('');
  return out;
}

/** The whole Cold start section of docs/benchmarks.md below its heading, for report.ts (and the standalone run). */
export function coldStartMarkdown(cold: ColdStart): string[] {
  const out = [
    `A fresh \`node\` process installs \`@azure/functions-core\` (as the Functions worker does) and \`require()\`s every`,
    `dist/src/functions/*.js — what the worker loads before any invocation, without the host. Median of ${cold.runs}`,
    'processes.',
    '',
    md(['what', 'load (ms)', 'CPU (ms)', 'RSS (MiB)', 'heap used (MiB)', 'modules', 'SDKs loaded']),
    sep(7),
  ];
  for (const [name, s] of [
    ['empty process', cold.baseline],
    ['every function', cold.app],
  ] as const) {
    out.push(
      md([
        name,
        s.ms.toFixed(0),
        cpu(s),
        mib(s.rss),
        (s.heapUsed / 2 ** 20).toFixed(1),
        s.modules,
        sdks(s.packages ?? []),
      ]),
    );
  }
  out.push('', ...coldStartEntryMarkdown(cold));
  out.push(
    'Each dependency is also loaded alone in its own fresh process (time and RSS over an empty process; shared',
    'dependencies such as @azure/core-rest-pipeline are counted in each, so the rows do not add up).',
    '',
    md(['dependency alone', 'load (ms)', 'RSS (MiB)']),
    sep(3),
    ...cold.imports.map((i) => md([`\`${i.name}\``, i.ms.toFixed(0), i.rssMb.toFixed(1)])),
    '',
  );
  return out;
}

/** `node dist/scripts/bench/coldstart.js [--runs N]`: the cold-start part alone, printed (docs/ is not written). */
if (require.main === module) {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number ≥ 1');
  process.stdout.write(['## Cold start', '', ...coldStartMarkdown(coldStart(runs))].join('\n'));
}
