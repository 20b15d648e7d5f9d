import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RunningAzurite, startAzurite, stopChild } from './azurite';
import { ensureDevCertificates } from './certs';
import { DATA_DIR, PROJECT_ROOT } from './paths';
import { demoTenants, PROVISIONER, seedApiApps } from './demoTenants';
import { startEmulators } from './emulators';
import { parseGraphFaultConfig } from './emulators/graph';
import { assertPortsFree, freePort } from './ports';

/**
 * `npm start`: the whole local stack in one command — Azurite (Tables, Queues), the emulators, and the local
 * Functions host at http://localhost:7071 running the compiled app. Prints what runs where and writes the same
 * to .data/local-stack.json. Ctrl-C stops everything.
 */

const DEFAULT_PORTS = { host: 7071, blob: 10000, queue: 10001, table: 10002, entra: 7443, graph: 7444, keyVault: 7445 };
type Ports = typeof DEFAULT_PORTS;

function log(message: string): void {
  process.stdout.write(`[stack] ${message}\n`);
}

async function startHost(env: NodeJS.ProcessEnv, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'dist', 'dev', 'host', 'main.js'), '--app', PROJECT_ROOT, '--port', String(port)],
    { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      process.stdout.write(text.replace(/^LOCAL_HOST_READY .*\n/m, ''));
      buffered += text;
      const m = /LOCAL_HOST_READY (.+)/.exec(buffered);
      if (m?.[1]) resolve((JSON.parse(m[1]) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`the local Functions host exited with code ${code}`)));
  });
  return { child, url };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      persist: { type: 'boolean', default: false },
      // Tests run a whole stack beside a developer's: every service on a free port, details in another file.
      'free-ports': { type: 'boolean', default: false },
      'stack-file': { type: 'string', default: path.join(DATA_DIR, 'local-stack.json') },
      // Graph faults for the whole run, as JSON (e.g. '{"seed":7,"throttleRate":0.2,"replicationLagMs":2000}').
      'graph-faults': { type: 'string' },
      // Only Azurite and the emulators: for running the app under the real Core Tools (`func start`).
      'no-host': { type: 'boolean', default: false },
    },
  });
  const graphFaults = values['graph-faults']
    ? parseGraphFaultConfig(JSON.parse(values['graph-faults']) as unknown)
    : undefined;
  const PORTS: Ports = values['free-ports']
    ? { host: await freePort(), blob: 0, queue: 0, table: 0, entra: 0, graph: 0, keyVault: 0 }
    : DEFAULT_PORTS;
  await assertPortsFree([
    { name: 'Functions host', port: PORTS.host },
    { name: 'Azurite blob', port: PORTS.blob },
    { name: 'Azurite queue', port: PORTS.queue },
    { name: 'Azurite table', port: PORTS.table },
    { name: 'Entra emulator', port: PORTS.entra },
    { name: 'Graph emulator', port: PORTS.graph },
    { name: 'Key Vault emulator', port: PORTS.keyVault },
  ]);

  const cleanups: (() => Promise<void>)[] = [];
  let shuttingDown = false;
  const shutdown = async (code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log('stopping...');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    log('stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const certs = await ensureDevCertificates();
    const azuriteDir = path.join(DATA_DIR, 'azurite');
    if (values.persist) mkdirSync(azuriteDir, { recursive: true });
    const azurite: RunningAzurite = await startAzurite({
      blobPort: PORTS.blob,
      queuePort: PORTS.queue,
      tablePort: PORTS.table,
      location: values.persist ? azuriteDir : undefined,
    });
    cleanups.push(() => azurite.stop());
    log(`Azurite ${values.persist ? `persisting to ${azuriteDir}` : 'in memory'} (pid ${azurite.pid})`);

    const tenants = demoTenants();
    const home = tenants[0]!;
    const emulators = await startEmulators({
      tenants,
      tls: { cert: certs.cert, key: certs.key },
      ports: { entra: PORTS.entra, graph: PORTS.graph, keyVault: PORTS.keyVault },
      // This process does not run with NODE_EXTRA_CA_CERTS: the vault is told to trust the dev CA for Entra's keys.
      keyVault: {
        tenantId: home.tenantId,
        allowedPrincipals: [PROVISIONER.clientId],
        authorityCa: readFileSync(certs.caPath, 'utf8'),
      },
      ...(graphFaults ? { graphFaults } : {}),
    });
    cleanups.push(() => emulators.close());
    const keyVault = emulators.keyVault!;
    // The API's app registration (app roles) and its ITSM and admin callers, in the home tenant.
    const api = seedApiApps(emulators.directory, home.tenantId);
    log(`emulators: Entra ${emulators.entra.url}  Graph ${emulators.graph.url}  Key Vault ${keyVault.url}`);

    const apiBase = `http://localhost:${PORTS.host}/api`;
    /** The app settings the stack gives the app (also what `--no-host` prints for local.settings.json). */
    const settings: Record<string, string> = {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage: azurite.connectionString,
      KEY_VAULT_URL: keyVault.url,
      PROVISIONER_CLIENT_ID: PROVISIONER.clientId,
      PROVISIONER_TENANT_ID: home.tenantId,
      PROVISIONER_CREDENTIAL: 'clientSecret',
      PROVISIONER_CLIENT_SECRET: PROVISIONER.clientSecret,
      GRAPH_ENDPOINT: emulators.graph.url,
      AZURE_AUTHORITY_HOST: emulators.entra.url,
      PUBLIC_API_BASE_URL: apiBase,
      // The secret renewal sweep's timer (%RENEWAL_SCHEDULE% in its binding): daily at 02:00 UTC, as in Azure.
      RENEWAL_SCHEDULE: '0 0 2 * * *',
      API_AUDIENCE: api.audience,
      ALLOWED_TENANT_IDS: tenants.map((t) => t.tenantId).join(','),
    };
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: certs.caPath, ...settings };
    const host = values['no-host'] ? undefined : await startHost(env, PORTS.host);
    if (host) {
      cleanups.push(() => stopChild(host.child, 30_000));
      host.child.once('exit', (code) => {
        if (!shuttingDown) {
          log(`the Functions host exited unexpectedly (code ${code})`);
          void shutdown(1);
        }
      });
    } else {
      log('no host started; for `func start`, put these in local.settings.json Values');
      log(`and start it with NODE_EXTRA_CA_CERTS=${certs.caPath} so it trusts the emulators:`);
      process.stdout.write(JSON.stringify(settings, null, 2) + '\n');
    }
    const hostUrl = host?.url ?? `http://localhost:${PORTS.host}`;

    const stack = {
      startedAt: new Date().toISOString(),
      functions: { url: hostUrl, api: `${hostUrl}/api`, health: `${hostUrl}/api/health` },
      azurite: {
        blob: `http://127.0.0.1:${azurite.blobPort}`,
        queue: `http://127.0.0.1:${azurite.queuePort}`,
        table: `http://127.0.0.1:${azurite.tablePort}`,
        connectionString: azurite.connectionString,
        persisted: values.persist ?? false,
      },
      emulators: {
        entra: emulators.entra.url,
        graph: `${emulators.graph.url}/v1.0`,
        graphAdmin: `${emulators.graph.url}/_emulator`,
        keyVault: keyVault.url,
        keyVaultAdmin: `${keyVault.url}/_emulator`,
      },
      provisioner: {
        clientId: PROVISIONER.clientId,
        clientSecret: PROVISIONER.clientSecret,
        homeTenantId: home.tenantId,
        graphAppRoles: PROVISIONER.graphAppRoles,
      },
      // Callers of the API: get a token with client credentials at `tokenUrl` for `scope`, send it as Bearer.
      api: {
        appId: api.appId,
        appIdUri: api.appIdUri,
        scope: api.scope,
        tokenUrl: `${emulators.entra.url}/${home.tenantId}/oauth2/v2.0/token`,
        callers: api.callers,
      },
      allowedTenantIds: tenants.map((t) => t.tenantId),
      tenants: tenants.map((t) => ({
        tenantId: t.tenantId,
        displayName: t.displayName,
        initialDomain: t.initialDomain,
        verifiedDomains: t.verifiedDomains,
      })),
      devCertificate: certs.caPath,
      pids: { stack: process.pid, azurite: azurite.pid, ...(host ? { host: host.child.pid } : {}) },
    };
    const stackFile = path.resolve(values['stack-file'] ?? path.join(DATA_DIR, 'local-stack.json'));
    mkdirSync(path.dirname(stackFile), { recursive: true });
    writeFileSync(stackFile, JSON.stringify(stack, null, 2) + '\n');
    log('the local stack is running:');
    log(`  Functions host  ${stack.functions.url}   (health: ${stack.functions.health})`);
    log(`  Azurite         blob ${stack.azurite.blob}  queue ${stack.azurite.queue}  table ${stack.azurite.table}`);
    log(`  Entra emulator  ${stack.emulators.entra}`);
    log(`  Graph emulator  ${stack.emulators.graph}   (admin: ${stack.emulators.graphAdmin})`);
    log(`  Key Vault       ${stack.emulators.keyVault}`);
    for (const t of stack.tenants)
      log(`  tenant          ${t.displayName}  ${t.tenantId}  (${[t.initialDomain, ...t.verifiedDomains].join(', ')})`);
    log(`  details         ${path.relative(process.cwd(), stackFile) || stackFile}`);
    log('press Ctrl-C to stop');
    process.stdout.write(`LOCAL_STACK_READY ${stackFile}\n`);
  } catch (err) {
    process.stderr.write(`[stack] could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    await shutdown(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[stack] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
