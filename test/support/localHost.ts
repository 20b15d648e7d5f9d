import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR, PROJECT_ROOT } from '../../dev/paths';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'host-app');
const HOST_MAIN = path.join(PROJECT_ROOT, 'dist', 'dev', 'host', 'main.js');

export interface FixtureApp {
  dir: string;
  /** The app settings written to its local.settings.json. */
  values: Record<string, string | undefined>;
  logFile: string;
  /** The JSON lines the fixture handlers recorded. */
  readLog(): Record<string, unknown>[];
  remove(): void;
}

/**
 * A copy of the fixture function app under .data/ (inside the project, so `require('@azure/functions')` resolves
 * to the project's node_modules) with its own local.settings.json.
 */
export function makeFixtureApp(options: {
  values?: Record<string, string>;
  host?: Record<string, unknown>;
  hostJson?: (hostJson: Record<string, unknown>) => Record<string, unknown>;
}): FixtureApp {
  const dir = path.join(DATA_DIR, 'test-apps', randomUUID());
  mkdirSync(dir, { recursive: true });
  cpSync(FIXTURE, dir, { recursive: true });
  const logFile = path.join(dir, 'observations.jsonl');
  const values = {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AzureWebJobsStorage: process.env.TEST_AZURITE_CONNECTION_STRING,
    FIXTURE_LOG_FILE: logFile,
    // Every fixture app gets its own queues: tests run in parallel against one Azurite.
    FIXTURE_WORK_QUEUE: `work-${randomUUID().slice(0, 8)}`,
    FIXTURE_FAIL_QUEUE: `fail-${randomUUID().slice(0, 8)}`,
    FIXTURE_TIMER_SCHEDULE: '0 0 0 1 1 *',
    ...options.values,
  };
  writeFileSync(
    path.join(dir, 'local.settings.json'),
    JSON.stringify({ IsEncrypted: false, Values: values, Host: options.host ?? {} }),
  );
  if (options.hostJson) {
    const file = path.join(dir, 'host.json');
    const current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(options.hostJson(current)));
  }
  return {
    dir,
    values,
    logFile,
    readLog: () =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RunningHost {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startHost(appDir: string, args: string[] = []): Promise<RunningHost> {
  const child = spawn(process.execPath, [HOST_MAIN, '--app', appDir, '--port', '0', ...args], {
    cwd: appDir,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /LOCAL_HOST_READY (.+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve((JSON.parse(m[1]) as { url: string }).url);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before it was ready:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    url,
    child,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill(signal);
      }),
  };
}

/** Polls `probe` until it returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
