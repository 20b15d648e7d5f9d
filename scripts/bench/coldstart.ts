import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/paths';

export interface LoadSample {
  ms: number;
  rss: number;
  heapUsed: number;
  modules: number;
}

export interface ColdStart {
  runs: number;
  baseline: LoadSample;
  app: LoadSample;
  /** Each heavy dependency alone, in a fresh process (median time, RSS). */
  imports: { name: string; ms: number; rssMb: number }[];
}

const CHILD = path.join(PROJECT_ROOT, 'dist', 'scripts', 'bench', 'coldstart-child.js');

function sample(files: string[]): LoadSample {
  const out = execFileSync(process.execPath, [CHILD, ...files], { cwd: PROJECT_ROOT, timeout: 60_000 });
  return JSON.parse(out.toString().trim().split('\n').pop()!) as LoadSample;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function medianSample(files: string[], runs: number): LoadSample {
  const samples = Array.from({ length: runs }, () => sample(files));
  return {
    ms: median(samples.map((s) => s.ms)),
    rss: median(samples.map((s) => s.rss)),
    heapUsed: median(samples.map((s) => s.heapUsed)),
    modules: median(samples.map((s) => s.modules)),
  };
}

/** `require()` of every dist/src/functions/*.js in a fresh process (no host), median of `runs`. */
export function coldStart(runs: number): ColdStart {
  const dir = path.join(PROJECT_ROOT, 'dist', 'src', 'functions');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(dir, f));
  const baseline = medianSample([], runs);
  const app = medianSample(files, runs);
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
  return { runs, baseline, app, imports };
}
