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
  api: {
    appId: string;
    appIdUri: string;
    scope: string;
    tokenUrl: string;
    callers: Record<ApiCaller, { clientId: string; clientSecret: string; roles: string[] }>;
  };
  allowedTenantIds: string[];
}

/** The local stack's API callers: itsm (Submit+Read), admin (Submit+Read+Admin), noRole (none). */
export type ApiCaller = 'itsm' | 'admin' | 'noRole';

/** `as`: whose token to send (default admin, which holds every role); 'none' sends no Authorization header. */
export type ApiInit = RequestInit & { as?: ApiCaller | 'none' };

export interface RunningStack {
  info: StackInfo;
  /** Everything the stack printed (host logs included). */
  output(): string;
  /** Every HTTP response body the test read through `api`. */
  responses: string[];
  /** Calls the API and records the response text. */
  api(pathAndQuery: string, init?: ApiInit): Promise<{ status: number; headers: Headers; text: string; json: unknown }>;
  /** A client-credentials access token for the API from the Entra emulator (cached until shortly before expiry). */
  token(caller: ApiCaller): Promise<string>;
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
  const tokens = new Map<ApiCaller, { token: string; until: number }>();
  const token = async (caller: ApiCaller): Promise<string> => {
    const cached = tokens.get(caller);
    if (cached && cached.until > Date.now()) return cached.token;
    const { clientId, clientSecret } = info.api.callers[caller];
    const res = await fetch(info.api.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: info.api.scope,
      }),
    });
    const body = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!res.ok || !body.access_token) throw new Error(`token for ${caller}: ${res.status} ${JSON.stringify(body)}`);
    tokens.set(caller, { token: body.access_token, until: Date.now() + ((body.expires_in ?? 3599) - 300) * 1000 });
    return body.access_token;
  };
  return {
    info,
    output: () => output,
    responses,
    token,
    api: async (pathAndQuery, init) => {
      const { as = 'admin', ...rest } = init ?? {};
      const headers = new Headers(rest.headers);
      if (as !== 'none' && !headers.has('authorization')) headers.set('authorization', `Bearer ${await token(as)}`);
      const res = await fetch(`${info.functions.api}${pathAndQuery}`, { ...rest, headers });
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
