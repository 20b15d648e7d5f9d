import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR, PROJECT_ROOT } from '../../dev/paths';

/** What `dist/dev/start.js --stack-file` writes (the parts the benchmarks use). */
export interface StackInfo {
  functions: { url: string; api: string; health: string };
  azurite: { connectionString: string; table: string; queue: string };
  emulators: { entra: string; graph: string; graphAdmin: string; keyVault: string; keyVaultAdmin: string };
  provisioner: { clientId: string; clientSecret: string; homeTenantId: string };
  tenants: { tenantId: string; displayName: string; initialDomain: string; verifiedDomains: string[] }[];
  /** Present once the API requires a caller token (the auth wrapper); read defensively. */
  [extra: string]: unknown;
}

export interface BenchStack {
  info: StackInfo;
  /** Headers every API call needs (content type, and a bearer token when the stack advertises one). */
  headers: Record<string, string>;
  admin(url: string, init?: RequestInit): Promise<unknown>;
  stop(): Promise<void>;
}

/** API callers in the stack file once the API requires an Entra token (client credentials at `tokenUrl`). */
interface ApiInfo {
  scope: string;
  tokenUrl: string;
  callers: Record<string, { clientId: string; clientSecret: string }>;
}

/** A client-credentials token for the ITSM caller (Submit + Read), or undefined when the API is open. */
async function callerToken(info: StackInfo): Promise<string | undefined> {
  const api = info.api as ApiInfo | undefined;
  const caller = api?.callers.itsm ?? api?.callers.admin;
  if (!api || !caller) return undefined;
  const res = await fetch(api.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: caller.clientId,
      client_secret: caller.clientSecret,
      scope: api.scope,
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`API token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Starts `dist/dev/start.js` (what `npm start` runs) on free ports; bounded start-up, stops by process group. */
export async function startBenchStack(graphFaults?: Record<string, unknown>): Promise<BenchStack> {
  const dir = path.join(DATA_DIR, 'bench-stacks');
  mkdirSync(dir, { recursive: true });
  const stackFile = path.join(dir, `${randomUUID()}.json`);
  const args = [path.join(PROJECT_ROOT, 'dist', 'dev', 'start.js'), '--free-ports', '--stack-file', stackFile];
  if (graphFaults) args.push('--graph-faults', JSON.stringify(graphFaults));
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Only the start-up banner and the last lines are kept (the host logs every invocation).
  let output = '';
  const keep = (c: Buffer): void => {
    output = (output + c.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('LOCAL_STACK_READY')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`stack did not start:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const info = JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo;
  const token = await callerToken(info);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  return {
    info,
    headers,
    admin: async (url, init) => {
      const res = await fetch(url, init);
      const text = await res.text();
      if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as unknown) : undefined;
    },
    stop: async () => {
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGINT');
        } catch {
          /* already gone */
        }
      }
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
      if ((await Promise.race([exited, timeout])) === 'timeout' && child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await exited;
      }
      rmSync(stackFile, { force: true });
    },
  };
}
