import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR, PROJECT_ROOT } from '../../dev/paths';

export interface StackInfo {
  functions: { url: string; api: string; health: string };
  azurite: { connectionString: string };
  emulators: { entra: string; graph: string; graphAdmin: string; keyVault: string; keyVaultAdmin: string };
  provisioner: { clientId: string; clientSecret: string; homeTenantId: string };
  tenants: { tenantId: string; displayName: string; initialDomain: string; verifiedDomains: string[] }[];
  pids: Record<string, number>;
}

export interface RunningStack {
  info: StackInfo;
  /** Everything the stack printed (host logs included). */
  output(): string;
  /** Every HTTP response body the test read through `api`. */
  responses: string[];
  /** Calls the API and records the response text. */
  api(
    pathAndQuery: string,
    init?: RequestInit,
  ): Promise<{ status: number; headers: Headers; text: string; json: unknown }>;
  /** Calls a Graph or Key Vault emulator admin endpoint. */
  admin(url: string, init?: RequestInit): Promise<unknown>;
  stop(): Promise<number | null>;
}

/** Starts `dist/dev/start.js` (what `npm start` runs) on free ports, optionally with Graph faults. */
export async function startStack(options: { graphFaults?: Record<string, unknown> } = {}): Promise<RunningStack> {
  const stackFile = path.join(DATA_DIR, 'test-stacks', `${randomUUID()}.json`);
  const args = [path.join(PROJECT_ROOT, 'dist', 'dev', 'start.js'), '--free-ports', '--stack-file', stackFile];
  if (options.graphFaults) args.push('--graph-faults', JSON.stringify(options.graphFaults));
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!output.includes('LOCAL_STACK_READY')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`stack did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const info = JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo;
  const responses: string[] = [];
  return {
    info,
    output: () => output,
    responses,
    api: async (pathAndQuery, init) => {
      const res = await fetch(`${info.functions.api}${pathAndQuery}`, init);
      const text = await res.text();
      responses.push(text);
      let json: unknown = undefined;
      try {
        json = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    admin: async (url, init) => {
      const res = await fetch(url, init);
      const text = await res.text();
      if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as unknown) : undefined;
    },
    stop: async () => {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      return exited;
    },
  };
}

/** Polls until `probe` returns something other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out waiting for ${what}${reason}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
