/**
 * Run in a fresh process by coldstart.ts: loads the given modules (with `@azure/functions-core` installed first, as
 * the Functions worker does) and prints the time and memory after load as one JSON line.
 *
 *   node coldstart-child.js [--entry=intake|step] [--settings=local|azure] <module>...
 *
 * With `--entry`, after loading the modules it also makes what that function's first invocation makes before its
 * first network call — the composition root's services and the clients the function uses — so every module the
 * invocation needs is loaded, and reports the time to that point. Nothing here opens a connection.
 */
import path from 'node:path';
import { CoreRegistry, installCoreModule } from '../../dev/host/core-api';

const t0 = process.hrtime.bigint();
installCoreModule(new CoreRegistry(() => undefined).createModule());

const args = process.argv.slice(2);
const option = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const files = args.filter((a) => !a.startsWith('--'));
const entry = option('entry');
const settings = option('settings') ?? 'local';

const TENANT = '0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const CLIENT = '8f0e1d2c-3b4a-4958-8776-655443322110';
const IDENTITY = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const AZURITE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

/**
 * App settings per deployment shape (undefined = unset). `local`: what `npm start` uses (storage connection string,
 * client secret). `azure`: what infra/ deploys (identity-based storage, managed identity federation).
 */
const SETTINGS: Record<string, Record<string, string | undefined>> = {
  local: {
    AzureWebJobsStorage: AZURITE,
    AzureWebJobsStorage__accountName: undefined,
    KEY_VAULT_URL: 'https://127.0.0.1:7443',
    PROVISIONER_CLIENT_ID: CLIENT,
    PROVISIONER_TENANT_ID: TENANT,
    PROVISIONER_CREDENTIAL: 'clientSecret',
    PROVISIONER_CLIENT_SECRET: 'cold-start-bench-not-a-secret',
    MANAGED_IDENTITY_CLIENT_ID: undefined,
    AZURE_AUTHORITY_HOST: 'https://127.0.0.1:7444',
    GRAPH_ENDPOINT: 'https://127.0.0.1:7444',
    API_AUDIENCE: `api://${CLIENT}`,
    ALLOWED_TENANT_IDS: TENANT,
  },
  azure: {
    AzureWebJobsStorage: undefined,
    AzureWebJobsStorage__accountName: 'stcoldstartbench',
    AzureWebJobsStorage__clientId: IDENTITY,
    KEY_VAULT_URL: 'https://kv-coldstart-bench.vault.azure.net',
    PROVISIONER_CLIENT_ID: CLIENT,
    PROVISIONER_TENANT_ID: TENANT,
    PROVISIONER_CREDENTIAL: 'managedIdentityFederation',
    PROVISIONER_CLIENT_SECRET: undefined,
    MANAGED_IDENTITY_CLIENT_ID: IDENTITY,
    AZURE_AUTHORITY_HOST: undefined,
    GRAPH_ENDPOINT: undefined,
    API_AUDIENCE: `api://${CLIENT}`,
    ALLOWED_TENANT_IDS: TENANT,
  },
};

/*
 * The app's modules are required here, inside the entries, so that they load in the timed part (the function files
 * have loaded them by then anyway); the types are free.
 */
type Composition = typeof import('../../src/shared/composition');
type Config = typeof import('../../src/shared/config');
type Api = typeof import('../../src/shared/http/api');
type Queues = typeof import('../../src/shared/adapters/queues/messageQueue');
type Domain = typeof import('../../src/shared/domain');
/* eslint-disable @typescript-eslint/no-require-imports -- loaded in the timed part on purpose (see above) */
const app = {
  composition: (): Composition => require('../../src/shared/composition') as Composition,
  config: (): Config => require('../../src/shared/config') as Config,
  api: (): Api => require('../../src/shared/http/api') as Api,
  queues: (): Queues => require('../../src/shared/adapters/queues/messageQueue') as Queues,
  domain: (): Domain => require('../../src/shared/domain') as Domain,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** What a first invocation makes before its first network call (what it returns only keeps the reads). */
const ENTRIES: Record<string, () => unknown[]> = {
  /** submitRegistration (POST /api/registrations): token check, config, the audited store, the step queue. */
  intake: () => {
    const config = app.config().getConfig();
    const auth = app.api().apiAuthDepsFrom(config); // the bearer token verifier (jose)
    // Settings (zod), the audited store (Tables). The first step leaves through the steps output binding, which the
    // host writes: the intake never sends with the Storage Queue SDK.
    const { provisioning } = app.composition().getServices();
    return [auth.verifyToken, provisioning.store];
  },
  /** provisioningStep (queue): the store, Graph in a tenant with the provisioner's credential, Key Vault. */
  step: () => {
    const { config, provisioning } = app.composition().getServices();
    const graph = provisioning.graphFor(config.provisioner.tenantId, app.domain().getCloud('AzurePublicCloud'));
    return [graph, provisioning.secrets.vaultUrl];
  },
};

function applySettings(name: string): void {
  const values = SETTINGS[name];
  if (!values) throw new Error(`unknown --settings=${name} (one of ${Object.keys(SETTINGS).join(', ')})`);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

const ready = entry === undefined ? undefined : ENTRIES[entry];
if (entry !== undefined && !ready) {
  throw new Error(`unknown --entry=${entry} (one of ${Object.keys(ENTRIES).join(', ')})`);
}
if (ready) applySettings(settings);

for (const f of files) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(f.startsWith('.') || path.isAbsolute(f) ? path.resolve(f) : f);
}
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
ready?.();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
// CPU time of the whole process (Node's own start included): steadier than wall-clock on a busy machine.
const cpu = process.cpuUsage();
const m = process.memoryUsage();
const loaded = Object.keys(require.cache);
/** Every package with a module loaded (`@scope/name` or `name`), sorted. */
const packages = [
  ...new Set(
    loaded.flatMap((f) => {
      const match = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*[\\/]node_modules[\\/])/.exec(f);
      return match?.[1] ? [match[1].replace(/\\/g, '/')] : [];
    }),
  ),
].sort();
process.stdout.write(
  JSON.stringify({
    ms,
    rss: m.rss,
    heapUsed: m.heapUsed,
    modules: loaded.length,
    loadMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    packages,
  }) + '\n',
  // Nothing may keep the process alive (an SDK client's timer, say): the answer is written, so it ends here.
  () => process.exit(0),
);
