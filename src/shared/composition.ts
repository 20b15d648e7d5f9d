import { TableClient, TableServiceClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';
import { GraphApi } from './adapters/graph/client';
import { GraphDirectory } from './adapters/graph/directory';
import { ProvisionerCredentials } from './adapters/identity';
import { SecretStore } from './adapters/keyvault/secretStore';
import { MessageQueue } from './adapters/queues/messageQueue';
import { QUEUES } from './adapters/storageNames';
import { SecretExpiryIndex } from './adapters/tables/secretExpiryIndex';
import { AppConfig, getConfig } from './config';
import { AuditedRegistrationStore } from './security/audit';
import { getCloud, type Cloud } from './domain';
import type { HealthProbe } from './health/checkHealth';
import type { CallbackMessage, ProvisioningDeps, StepMessage } from './provisioning/ports';
import type { LifecycleDeps, NotificationMessage, RenewalMessage } from './lifecycle/ports';

/** How long a worker owns a running step: the host's function timeout (host.json functionTimeout, 10 minutes). */
const STEP_LEASE_MS = 10 * 60 * 1000;

/**
 * The composition root: every client is created once per worker, on first use, from the validated configuration.
 * Functions get their dependencies from here and nowhere else.
 */
export interface Services {
  config: AppConfig;
  tables: TableServiceClient;
  queues: QueueServiceClient;
  healthProbes: HealthProbe[];
  provisioning: ProvisioningDeps;
  lifecycle: LifecycleDeps;
}

/** Any HTTP answer below 500 means the service is there (unauthenticated calls get 401, which is fine here). */
async function answers(url: string, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { signal, redirect: 'manual' });
  await res.body?.cancel();
  if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
}

export function createServices(config: AppConfig): Services {
  const { storage } = config;
  let tables: TableServiceClient;
  let queues: QueueServiceClient;
  let tableClient: (name: string) => TableClient;
  if (storage.kind === 'connectionString') {
    tables = TableServiceClient.fromConnectionString(storage.connectionString, { allowInsecureConnection: true });
    queues = QueueServiceClient.fromConnectionString(storage.connectionString);
    tableClient = (name) =>
      TableClient.fromConnectionString(storage.connectionString, name, { allowInsecureConnection: true });
  } else {
    const credential = new DefaultAzureCredential({ managedIdentityClientId: storage.clientId });
    tables = new TableServiceClient(storage.tableServiceUri, credential);
    queues = new QueueServiceClient(storage.queueServiceUri, credential);
    tableClient = (name) => new TableClient(storage.tableServiceUri, name, credential);
  }

  const credentials = new ProvisionerCredentials(config);
  // The provisioner's home (and its vault) is in the public cloud unless the vault's host says otherwise.
  const homeCloud = getCloud(
    /\.usgovcloudapi\.net$/i.test(new URL(config.keyVaultUrl).hostname) ? 'AzureUSGovernmentCloud' : 'AzurePublicCloud',
  );
  const secrets = new SecretStore(config.keyVaultUrl, credentials.forKeyVault(homeCloud));
  const directories = new Map<string, GraphDirectory>();
  const graphFor = (tenantId: string, cloud: Cloud): GraphDirectory => {
    const key = `${cloud.name}|${tenantId.toLowerCase()}`;
    let directory = directories.get(key);
    if (!directory) {
      const api = new GraphApi(
        credentials.forTenant(tenantId, cloud),
        config.graphEndpoint ?? cloud.graphEndpoint,
        cloud.graphScope,
        { maxMs: config.graphRetryMaxMs },
      );
      directory = new GraphDirectory(api);
      directories.set(key, directory);
    }
    return directory;
  };

  const provisioning: ProvisioningDeps = {
    // Audited: every create/update appends who and why to the append-only audit table (src/shared/security/audit.ts).
    store: new AuditedRegistrationStore(tableClient),
    steps: new MessageQueue<StepMessage>(queues.getQueueClient(QUEUES.steps)),
    callbacks: new MessageQueue<CallbackMessage>(queues.getQueueClient(QUEUES.callbacks)),
    graphFor,
    secrets,
    expiryIndex: new SecretExpiryIndex(tableClient),
    proveClientSecret: (tenantId, cloud, clientId, secret) =>
      credentials.proveClientSecret(tenantId, cloud, clientId, secret),
    now: () => new Date(),
    random: Math.random,
    stepLeaseMs: config.stepLeaseMs ?? STEP_LEASE_MS,
  };

  const lifecycle: LifecycleDeps = {
    ...provisioning,
    renewals: new MessageQueue<RenewalMessage>(queues.getQueueClient(QUEUES.secretRenewals)),
    notifications: new MessageQueue<NotificationMessage>(queues.getQueueClient(QUEUES.secretNotifications)),
    renewBeforeDays: config.lifecycle.renewBeforeDays,
    notificationWebhookUrl: config.lifecycle.notificationWebhookUrl,
    callbackSigningSecretName: config.callbackSigningSecretName,
    apiBase: config.publicApiBase,
  };

  const healthProbes: HealthProbe[] = [
    {
      name: 'tableStorage',
      target: tables.url,
      check: async (abortSignal) => {
        await tables.getProperties({ abortSignal });
      },
    },
    {
      name: 'queueStorage',
      target: queues.url,
      check: async (abortSignal) => {
        await queues.getProperties({ abortSignal });
      },
    },
    {
      name: 'entra',
      target: config.authorityHost ?? homeCloud.authorityHost,
      check: (signal) =>
        answers(
          `${config.authorityHost ?? homeCloud.authorityHost}/${config.provisioner.tenantId}/v2.0/.well-known/openid-configuration`,
          signal,
        ),
    },
    {
      name: 'graph',
      target: config.graphEndpoint ?? homeCloud.graphEndpoint,
      check: (signal) => answers(`${config.graphEndpoint ?? homeCloud.graphEndpoint}/v1.0/`, signal),
    },
    {
      name: 'keyVault',
      target: config.keyVaultUrl,
      check: (signal) => answers(`${config.keyVaultUrl}/secrets?api-version=7.5`, signal),
    },
  ];
  return { config, tables, queues, healthProbes, provisioning, lifecycle };
}

let services: Services | undefined;

export function getServices(): Services {
  services ??= createServices(getConfig());
  return services;
}
