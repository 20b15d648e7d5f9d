/**
 * The fault matrix: for each fault, a fresh local stack (Azurite, the Entra/Graph/Key Vault emulators and the local
 * Functions host, each started here so they can be broken), a batch of requests, and four checks:
 *   1. every request ends Succeeded or Failed with a reason;
 *   2. exactly one app pair (server + client, one service principal each) per Succeeded request;
 *   3. zero orphaned credentials (every password credential of a managed app is the one Key Vault holds);
 *   4. zero secret values outside Key Vault (tables, queues, host logs, API responses).
 * Prints the matrix as a Markdown table; `--write` keeps it in docs/fault-matrix.md.
 *
 *   npm run fault-matrix -- [--requests 6] [--only graph429,kv5xx] [--write]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TableServiceClient, TableClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, stopChild, type RunningAzurite } from '../dev/azurite';
import { ensureDevCertificates } from '../dev/certs';
import { demoTenants, PROVISIONER, seedApiApps, type SeededApi } from '../dev/demoTenants';
import { startEmulators, type RunningEmulators } from '../dev/emulators';
import { PROJECT_ROOT } from '../dev/paths';
import { freePort } from '../dev/ports';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON read back from the API and emulators
type Json = Record<string, any>;

export interface FaultSpec {
  id: string;
  title: string;
  graph?: Json;
  keyVault?: Json;
  /** Share of conditional Table writes (If-Match) answered 412 by a proxy in front of Azurite. */
  table412Rate?: number;
  /** Something done to the running stack while the batch runs. */
  disrupt?: 'restartAzurite' | 'stopWorkerBetweenSteps' | 'killWorker' | 'duplicateDelivery';
  /**
   * Recovery waits for the platform: a message a killed worker had dequeued stays invisible for the Functions host's
   * 10-minute processing visibility. Run only with --only or --all (and a timeout over 10 minutes).
   */
  slow?: boolean;
}

export const FAULTS: FaultSpec[] = [
  { id: 'none', title: 'no fault (baseline)' },
  { id: 'graph429', title: 'Graph 429 (30%, Retry-After 1 s)', graph: { throttleRate: 0.3, retryAfterSeconds: 1 } },
  { id: 'graph5xx', title: 'Graph 5xx (20%)', graph: { serverErrorRate: 0.2 } },
  { id: 'graphDrop', title: 'Graph dropped connections (15%)', graph: { dropRate: 0.15 } },
  {
    id: 'graphLag',
    title: 'Graph replication lag (3 s ± 1 s)',
    graph: { replicationLagMs: 3000, replicationLagJitterMs: 1000 },
  },
  { id: 'kv5xx', title: 'Key Vault 5xx (40%)', keyVault: { serverErrorRate: 0.4, serverErrorStatus: 'mixed' } },
  { id: 'table412', title: 'Table 412 conflicts (30% of conditional writes)', table412Rate: 0.3 },
  { id: 'azuriteRestart', title: 'Azurite restarted mid-run', disrupt: 'restartAzurite' },
  {
    id: 'workerStop',
    title: 'step worker stopped between steps (SIGTERM, restarted) x3',
    disrupt: 'stopWorkerBetweenSteps',
  },
  { id: 'workerKill', title: 'step worker killed (SIGKILL, restarted)', disrupt: 'killWorker', slow: true },
  { id: 'duplicates', title: 'duplicate queue delivery (every step message sent 3x)', disrupt: 'duplicateDelivery' },
];

export interface FaultRow {
  fault: string;
  requests: number;
  succeeded: number;
  failedWithReason: number;
  notFinished: number;
  badAppPairs: number;
  orphanedCredentials: number;
  secretLeaks: number;
  injected: string;
  seconds: number;
  pass: boolean;
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Turns a share of conditional Table writes into 412 UpdateConditionNotSatisfied, as a concurrent writer would. */
function startTable412Proxy(target: () => number, rate: number, seed: number) {
  let state = seed >>> 0 || 1;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  let injected = 0;
  const server = http.createServer((req, res) => {
    const conditional =
      ['PUT', 'PATCH', 'MERGE'].includes(req.method ?? '') &&
      req.headers['if-match'] &&
      req.headers['if-match'] !== '*';
    if (conditional && random() < rate) {
      injected++;
      req.resume();
      res.writeHead(412, {
        'content-type': 'application/json;odata=minimalmetadata',
        'x-ms-error-code': 'UpdateConditionNotSatisfied',
      });
      res.end(
        JSON.stringify({
          'odata.error': {
            code: 'UpdateConditionNotSatisfied',
            message: { lang: 'en-US', value: 'The update condition specified in the request was not satisfied.' },
          },
        }),
      );
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: target(), method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.destroy();
    });
    req.pipe(upstream);
  });
  return {
    listen: () =>
      new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    injected: () => injected,
  };
}

interface Stack {
  emulators: RunningEmulators;
  api: SeededApi;
  hostUrl: string;
  connectionString: string;
  logs: string[];
  responses: string[];
  token(): Promise<string>;
  restartAzurite(): Promise<void>;
  stopHost(signal: NodeJS.Signals): Promise<void>;
  startHost(): Promise<void>;
  close(): Promise<void>;
  injected412(): number;
}

async function startStackFor(spec: FaultSpec): Promise<Stack> {
  const certs = await ensureDevCertificates();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fault-matrix-'));
  const ports = { blobPort: await freePort(), queuePort: await freePort(), tablePort: await freePort() };
  let azurite: RunningAzurite = await startAzurite({ ...ports, location: dir });
  const tenants = demoTenants();
  const home = tenants[0]!;
  const emulators = await startEmulators({
    tenants,
    tls: { cert: certs.cert, key: certs.key },
    keyVault: { tenantId: home.tenantId, allowedPrincipals: [PROVISIONER.clientId], allowValueDump: true },
  });
  const api = seedApiApps(emulators.directory, home.tenantId);
  const proxy = spec.table412Rate ? startTable412Proxy(() => azurite.tablePort, spec.table412Rate, 412) : undefined;
  const tablePort = proxy ? await proxy.listen() : azurite.tablePort;
  const appConnection = azurite.connectionString.replace(
    /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
    `TableEndpoint=http://127.0.0.1:${tablePort}`,
  );
  const hostPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_EXTRA_CA_CERTS: certs.caPath,
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AzureWebJobsStorage: appConnection,
    KEY_VAULT_URL: emulators.keyVault!.url,
    PROVISIONER_CLIENT_ID: PROVISIONER.clientId,
    PROVISIONER_TENANT_ID: home.tenantId,
    PROVISIONER_CREDENTIAL: 'clientSecret',
    PROVISIONER_CLIENT_SECRET: PROVISIONER.clientSecret,
    GRAPH_ENDPOINT: emulators.graph.url,
    AZURE_AUTHORITY_HOST: emulators.entra.url,
    PUBLIC_API_BASE_URL: `http://localhost:${hostPort}/api`,
    API_AUDIENCE: api.audience,
    ALLOWED_TENANT_IDS: tenants.map((t) => t.tenantId).join(','),
    GRAPH_RETRY_MAX_SECONDS: '15',
    // a worker that dies mid-step is taken over after this (600 s in Azurite would outlast the run)
    STEP_LEASE_SECONDS: '30',
    // as dev/start.ts: the renewal sweep's timer (daily; it never fires during a run)
    RENEWAL_SCHEDULE: '0 0 2 * * *',
  };
  const logs: string[] = [];
  let host: ChildProcess | undefined;
  const startHost = async (): Promise<void> => {
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, 'dist', 'dev', 'host', 'main.js'), '--app', PROJECT_ROOT, '--port', String(hostPort)],
      {
        cwd: PROJECT_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    host = child;
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (c: Buffer) => {
        logs.push(c.toString());
        buffered += c.toString();
        if (buffered.includes('LOCAL_HOST_READY')) resolve();
      });
      child.stderr.on('data', (c: Buffer) => logs.push(c.toString()));
      child.once('exit', (code) =>
        reject(new Error(`host exited (${code}) before it was ready:\n${logs.join('').slice(-2000)}`)),
      );
    });
  };
  await startHost();
  const tokenUrl = `${emulators.entra.url}/${home.tenantId}/oauth2/v2.0/token`;
  let cached: { token: string; until: number } | undefined;
  return {
    emulators,
    api,
    hostUrl: `http://localhost:${hostPort}`,
    connectionString: azurite.connectionString,
    logs,
    responses: [],
    token: async () => {
      if (cached && cached.until > Date.now()) return cached.token;
      const c = api.callers.admin;
      const res = await fetch(tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: c.clientId,
          client_secret: c.clientSecret,
          scope: api.scope,
        }),
      });
      const body = (await res.json()) as Json;
      cached = { token: body.access_token as string, until: Date.now() + 30 * 60_000 };
      return cached.token;
    },
    restartAzurite: async () => {
      await azurite.stop();
      await sleep(1500);
      azurite = await startAzurite({ ...ports, location: dir });
    },
    stopHost: async (signal) => {
      const child = host;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    startHost,
    close: async () => {
      if (host && host.exitCode === null) await stopChild(host, 20_000);
      await proxy?.close();
      await emulators.close();
      await azurite.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    injected412: () => proxy?.injected() ?? 0,
  };
}

async function callApi(
  stack: Stack,
  pathAndQuery: string,
  init: RequestInit = {},
): Promise<{ status: number; json: Json }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await stack.token()}`);
      const res = await fetch(`${stack.hostUrl}/api${pathAndQuery}`, { ...init, headers });
      const text = await res.text();
      stack.responses.push(text);
      if (res.status >= 500 && attempt < 20) throw new Error(`HTTP ${res.status}`);
      return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
    } catch (err) {
      // the host or storage is down for a moment (that is the fault): the client retries, as an ITSM system would
      if (attempt >= 20) throw new Error(`${pathAndQuery}: ${String((err as Error).cause ?? err)}`);
      await sleep(500);
    }
  }
}

function ticket(tenantId: string, ticketId: string): Json {
  return {
    ticketId,
    requestedBy: 'fault.matrix@contoso.com',
    service: 'CloudManagement',
    action: 'create',
    tenantId,
    tenantName: 'contoso.onmicrosoft.com',
    cloud: 'AzurePublicCloud',
    serverApp: { displayName: `CMG-${ticketId}`, appIdUri: `api://${tenantId}/${ticketId}` },
    clientApp: { displayName: `CMG-Client-${ticketId}` },
  };
}

const STEPS = [
  'serverApp',
  'serverSecret',
  'serverServicePrincipal',
  'appRoleConsent',
  'clientApp',
  'clientRedirect',
  'clientServicePrincipal',
  'delegatedGrant',
  'clientGraphGrant',
  'verify',
  'complete',
];

export async function runFault(spec: FaultSpec, requests: number, timeoutMs = 180_000): Promise<FaultRow> {
  const started = Date.now();
  const stack = await startStackFor(spec);
  const notes: string[] = [];
  try {
    const tenantId = demoTenants()[0]!.tenantId;
    if (spec.graph) stack.emulators.graph.faults.configure({ seed: 7, ...spec.graph });
    if (spec.keyVault) stack.emulators.keyVault!.configureFaults({ seed: 7, ...spec.keyVault });
    const ids: string[] = [];
    for (let i = 0; i < requests; i++) {
      const res = await callApi(stack, '/registrations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ticket(tenantId, `FM-${spec.id}-${i}`)),
      });
      if (res.status !== 202 && res.status !== 200)
        throw new Error(`submit: ${res.status} ${JSON.stringify(res.json)}`);
      ids.push(res.json.id as string);
    }

    let disruptions = 0;
    const disrupt = async (): Promise<void> => {
      switch (spec.disrupt) {
        case 'restartAzurite':
          await sleep(800);
          await stack.restartAzurite();
          disruptions++;
          break;
        case 'stopWorkerBetweenSteps':
          for (let i = 0; i < 3; i++) {
            await sleep(400 + i * 500);
            await stack.stopHost('SIGTERM'); // lets the running step finish: the stop lands between steps
            disruptions++;
            await sleep(500);
            await stack.startHost();
          }
          break;
        case 'killWorker':
          await sleep(700);
          await stack.stopHost('SIGKILL');
          disruptions++;
          await sleep(500);
          await stack.startHost();
          break;
        case 'duplicateDelivery': {
          const queue = QueueServiceClient.fromConnectionString(stack.connectionString).getQueueClient(
            'provisioning-steps',
          );
          for (const requestId of ids) {
            for (const step of STEPS) {
              for (let k = 0; k < 2; k++) {
                await queue.sendMessage(Buffer.from(JSON.stringify({ requestId, step })).toString('base64'));
                disruptions++;
              }
            }
          }
          break;
        }
        default:
          break;
      }
    };
    await disrupt();

    // wait for every request to be terminal
    const deadline = Date.now() + timeoutMs;
    let views: Json[] = [];
    for (;;) {
      views = [];
      for (const id of ids) views.push((await callApi(stack, `/registrations/${id}`)).json);
      if (views.every((v) => v.status === 'Succeeded' || v.status === 'Failed') || Date.now() > deadline) break;
      await sleep(1000);
    }
    // faults off for the read-back (the checks read the emulators directly)
    stack.emulators.graph.faults.configure({});
    stack.emulators.keyVault!.configureFaults({});
    await sleep(1500); // let duplicate deliveries drain

    const succeeded = views.filter((v) => v.status === 'Succeeded');
    const failedWithReason = views.filter(
      (v) =>
        v.status === 'Failed' &&
        ((v.failure as Json[] | undefined)?.length || (v.steps as Json[]).some((s) => s.lastError)),
    );
    const notFinished = views.length - succeeded.length - failedWithReason.length;
    for (const v of views.filter((x) => x.status !== 'Succeeded' && x.status !== 'Failed')) {
      const steps = ((v.steps as Json[] | undefined) ?? []).filter(
        (s) => s.status !== 'Succeeded' && s.status !== 'Pending',
      );
      notes.push(
        `${String(v.ticketId)} ${String(v.status)}: ${steps.map((s) => `${String(s.name)}=${String(s.status)}`).join(' ')}`,
      );
    }
    for (const v of views.filter((x) => x.status === 'Failed')) {
      notes.push(`${v.ticketId} Failed: ${JSON.stringify((v.failure as Json[] | undefined)?.[0] ?? '').slice(0, 160)}`);
    }

    const dump = stack.emulators.graph.dump(tenantId)!;
    const secrets = stack.emulators.keyVault!.dumpSecrets({ includeValues: true });
    const vaultKeyIds = new Set(
      secrets.flatMap((s) =>
        s.versions.filter((v) => v.enabled).map((v) => (v.tags?.credentialKeyId ?? '').toLowerCase()),
      ),
    );
    let badAppPairs = 0;
    let orphanedCredentials = 0;
    for (const v of views) {
      const tag = `cm-entra-provisioner:request:${v.id as string}`;
      const apps = dump.applications.filter((a) => ((a.data.tags as string[] | undefined) ?? []).includes(tag));
      for (const a of apps) {
        for (const p of (a.data.passwordCredentials as Json[] | undefined) ?? []) {
          if (!vaultKeyIds.has(String(p.keyId).toLowerCase())) {
            orphanedCredentials++;
            notes.push(`orphaned credential ${p.keyId as string} on ${a.data.displayName as string}`);
          }
        }
      }
      if (v.status !== 'Succeeded') continue;
      const server = apps.filter((a) => (a.data.tags as string[]).includes('cm-entra-provisioner:role:server'));
      const client = apps.filter((a) => (a.data.tags as string[]).includes('cm-entra-provisioner:role:client'));
      const sps = (appId: unknown) => dump.servicePrincipals.filter((s) => s.data.appId === appId).length;
      const ok =
        apps.length === 2 &&
        server.length === 1 &&
        client.length === 1 &&
        sps(server[0]!.data.appId) === 1 &&
        sps(client[0]!.data.appId) === 1 &&
        ((server[0]!.data.passwordCredentials as { keyId?: string }[] | undefined) ?? []).map((p) => p.keyId).join() ===
          (v.secret as { keyId?: string } | undefined)?.keyId;
      if (!ok) {
        badAppPairs++;
        notes.push(`${v.ticketId as string}: ${apps.length} apps`);
      }
    }

    // secret values anywhere but Key Vault
    const values = secrets.flatMap((s) => s.versions.map((v) => v.value ?? '')).filter((v) => v.length >= 16);
    const haystack: string[] = [...stack.logs, ...stack.responses];
    const tables = TableServiceClient.fromConnectionString(stack.connectionString, { allowInsecureConnection: true });
    for await (const t of tables.listTables()) {
      const client = TableClient.fromConnectionString(stack.connectionString, t.name!, {
        allowInsecureConnection: true,
      });
      for await (const e of client.listEntities()) haystack.push(JSON.stringify(e));
    }
    const queues = QueueServiceClient.fromConnectionString(stack.connectionString);
    for await (const q of queues.listQueues()) {
      const peeked = await queues.getQueueClient(q.name).peekMessages({ numberOfMessages: 32 });
      for (const m of peeked.peekedMessageItems)
        haystack.push(m.messageText, Buffer.from(m.messageText, 'base64').toString('utf8'));
    }
    const text = haystack.join('\n');
    const secretLeaks = values.filter((v) => text.includes(v)).length;

    const injected =
      [
        spec.graph ? `${stack.emulators.graph.calls().filter((c) => c.fault).length} Graph faults` : '',
        spec.keyVault ? `${stack.emulators.keyVault!.calls().filter((c) => c.fault).length} Key Vault faults` : '',
        spec.table412Rate ? `${stack.injected412()} Table 412s` : '',
        spec.disrupt ? `${disruptions} × ${spec.disrupt}` : '',
      ]
        .filter(Boolean)
        .join(', ') || '—';
    const row: FaultRow = {
      fault: spec.title,
      requests,
      succeeded: succeeded.length,
      failedWithReason: failedWithReason.length,
      notFinished,
      badAppPairs,
      orphanedCredentials,
      secretLeaks,
      injected,
      seconds: Math.round((Date.now() - started) / 1000),
      pass: notFinished === 0 && badAppPairs === 0 && orphanedCredentials === 0 && secretLeaks === 0,
      notes,
    };
    return row;
  } finally {
    await stack.close();
  }
}

export function renderMatrix(rows: FaultRow[]): string {
  const head =
    '| fault | requests | Succeeded | Failed (with reason) | not finished | bad app pairs | orphaned credentials | secret values outside Key Vault | injected | s | result |';
  const sep = '| --- | --: | --: | --: | --: | --: | --: | --: | --- | --: | --- |';
  const lines = rows.map(
    (r) =>
      `| ${r.fault} | ${r.requests} | ${r.succeeded} | ${r.failedWithReason} | ${r.notFinished} | ${r.badAppPairs} | ${r.orphanedCredentials} | ${r.secretLeaks} | ${r.injected} | ${r.seconds} | ${r.pass ? 'pass' : '**FAIL**'} |`,
  );
  return [head, sep, ...lines].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '6' },
      only: { type: 'string' },
      write: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      'timeout-seconds': { type: 'string', default: '180' },
    },
  });
  const only = values.only?.split(',');
  const specs = FAULTS.filter((f) => (only ? only.includes(f.id) : values.all || !f.slow));
  const rows: FaultRow[] = [];
  for (const spec of specs) {
    process.stderr.write(`[fault-matrix] ${spec.title} ...\n`);
    const timeoutMs = Number(values['timeout-seconds']) * 1000;
    rows.push(await runFault(spec, Number(values.requests), spec.slow ? Math.max(timeoutMs, 720_000) : timeoutMs));
    process.stderr.write(
      `[fault-matrix]   ${rows.at(-1)!.pass ? 'pass' : 'FAIL'} ${rows.at(-1)!.notes.slice(0, 5).join('; ')}\n`,
    );
  }
  const table = renderMatrix(rows);
  process.stdout.write(`${table}\n`);
  if (values.write) {
    const doc = [
      '# Fault matrix',
      '',
      'The latest output of `npm run fault-matrix -- --write` (scripts/fault-matrix.ts; a reduced matrix runs in',
      '`test/e2e/security/fault-matrix.test.ts`). Each fault gets a fresh local stack (Azurite, the emulators, the',
      'local Functions host) and a batch of requests. Checks: every request ends `Succeeded` or `Failed` with a reason;',
      'exactly one app pair per `Succeeded` request; zero orphaned credentials (every password credential of a managed',
      'app is held by Key Vault); zero secret values outside Key Vault (tables, queues, host logs, API responses).',
      '',
      'A worker killed with SIGKILL mid-step (`--only workerKill`, or `--all`) recovers only after the Functions',
      "host's 10-minute processing visibility of the message it held, then the step's lease (STEP_LEASE_SECONDS, 30 s",
      'here) lets another worker take it over; it is left out of the default run for that reason.',
      '',
      `Run ${new Date().toISOString()}, Node.js ${process.version}.`,
      '',
      table,
      '',
    ].join('\n');
    writeFileSync(path.join(PROJECT_ROOT, 'docs', 'fault-matrix.md'), doc);
  }
  process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
}

if (require.main === module) {
  if (process.env.FAULT_MATRIX_CHILD !== '1') {
    // The emulators are HTTPS with the development CA: run again trusting it (as dev/run-jest.ts does for jest).
    void ensureDevCertificates().then((certs) => {
      const child = spawn(process.execPath, process.argv.slice(1), {
        stdio: 'inherit',
        env: { ...process.env, NODE_EXTRA_CA_CERTS: certs.caPath, FAULT_MATRIX_CHILD: '1' },
      });
      child.once('exit', (code) => process.exit(code ?? 1));
    });
  } else {
    main().catch((err: unknown) => {
      process.stderr.write(`[fault-matrix] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
  }
}
