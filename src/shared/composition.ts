import type { TableClient, TableServiceClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { GraphApi } from './adapters/graph/client';
import { GraphDirectory } from './adapters/graph/directory';
import type { ProvisionerCredentials } from './adapters/identity';
import { SecretStore } from './adapters/keyvault/secretStore';
import { MessageQueue } from './adapters/queues/messageQueue';
import { QUEUES } from './adapters/storageNames';
import { tablesSdk } from './adapters/tables/sdk';
import { once } from './lazy';
import { SecretExpiryIndex } from './adapters/tables/secretExpiryIndex';
import { AppConfig, getConfig } from './config';
import { AuditedRegistrationStore } from './security/audit';
import { getCloud, type Cloud } from './domain';
import type { HealthProbe } from './health/checkHealth';
import type { CallbackMessage, ProvisioningDeps, StepMessage } from './provisioning/ports';
import type { LifecycleDeps, NotificationMessage, RenewalMessage } from './lifecycle/ports';

/*
 * Cold start: the Functions worker requires every function file before the first invocation, and each of them
 * requires this module. So this module and the adapters import the Azure SDKs as types only and load them on first
 * use, below: an intake-first worker never loads Key Vault, Graph or (with a storage connection string) identity; a
 * queue worker never loads what only the HTTP API needs. The figures are in docs/benchmarks.md (Cold start), and
 * test/unit/coldstart/ fails when a function file pulls one of them in at load time again.
 */
type IdentityAdapter = typeof import('./adapters/identity');
type IdentitySdk = typeof import('@azure/identity');
type QueuesSdk = typeof import('@azure/storage-queue');

/* eslint-disable @typescript-eslint/no-require-imports -- deliberately lazy: each runs on the first use, see above */
const identityAdapter = once(() => require('./adapters/identity') as IdentityAdapter);
const identitySdk = once(() => require('@azure/identity') as IdentitySdk);
const queuesSdk = once(() => require('@azure/storage-queue') as QueuesSdk);
/* eslint-enable @typescript-eslint/no-require-imports */

/** A credential whose real one is made on its first token request (the Key Vault client is built before that). */
function deferredCredential(get: () => TokenCredential): TokenCredential {
  return { getToken: (scopes, options) => get().getToken(scopes, options) };
}

/** How long a worker owns a running step: the host's function timeout (host.json functionTimeout, 10 minutes). */
const STEP_LEASE_MS = 10 * 60 * 1000;

/**
 * The composition root: every client is created once per worker, on first use, from the validated configuration.
 * Functions get their dependencies from here and nowhere else.
 */
export interface Services {
  config: AppConfig;
  /** Created on first access. */
  readonly tables: TableServiceClient;
  /** Created on first access. */
  readonly queues: QueueServiceClient;
  /** Built on first access (only the health function reads them). */
  readonly healthProbes: HealthProbe[];
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
  // Identity-based storage: the Function App's managed identity (its client id when user-assigned).
  const storageCredential = once(
    () =>
      new (identitySdk().DefaultAzureCredential)({
        managedIdentityClientId: storage.kind === 'identity' ? storage.clientId : undefined,
      }),
  );
  const tables = once((): TableServiceClient => {
    const { TableServiceClient } = tablesSdk();
    return storage.kind === 'connectionString'
      ? TableServiceClient.fromConnectionString(storage.connectionString, { allowInsecureConnection: true })
      : new TableServiceClient(storage.tableServiceUri, storageCredential());
  });
  const tableClient = (name: string): TableClient => {
    const { TableClient } = tablesSdk();
    return storage.kind === 'connectionString'
      ? TableClient.fromConnectionString(storage.connectionString, name, { allowInsecureConnection: true })
      : new TableClient(storage.tableServiceUri, name, storageCredential());
  };
  const queues = once((): QueueServiceClient => {
    const { QueueServiceClient } = queuesSdk();
    return storage.kind === 'connectionString'
      ? QueueServiceClient.fromConnectionString(storage.connectionString)
      : new QueueServiceClient(storage.queueServiceUri, storageCredential());
  });
  /** A queue whose client (and the Storage Queue SDK) is made when the first message is sent. */
  const queue = <T>(name: string): MessageQueue<T> =>
    new MessageQueue<T>((): QueueClient => queues().getQueueClient(name));

  const credentials = once((): ProvisionerCredentials => new (identityAdapter().ProvisionerCredentials)(config));
  // The provisioner's home (and its vault) is in the public cloud unless the vault's host says otherwise.
  const homeCloud = getCloud(
    /\.usgovcloudapi\.net$/i.test(new URL(config.keyVaultUrl).hostname) ? 'AzureUSGovernmentCloud' : 'AzurePublicCloud',
  );
  const secrets = new SecretStore(
    config.keyVaultUrl,
    deferredCredential(() => credentials().forKeyVault(homeCloud)),
  );
  const directories = new Map<string, GraphDirectory>();
  const graphFor = (tenantId: string, cloud: Cloud): GraphDirectory => {
    const key = `${cloud.name}|${tenantId.toLowerCase()}`;
    let directory = directories.get(key);
    if (!directory) {
      const api = new GraphApi(
        credentials().forTenant(tenantId, cloud),
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
    steps: queue<StepMessage>(QUEUES.steps),
    callbacks: queue<CallbackMessage>(QUEUES.callbacks),
    graphFor,
    secrets,
    expiryIndex: new SecretExpiryIndex(tableClient),
    proveClientSecret: (tenantId, cloud, clientId, secret) =>
      credentials().proveClientSecret(tenantId, cloud, clientId, secret),
    now: () => new Date(),
    random: Math.random,
    stepLeaseMs: config.stepLeaseMs ?? STEP_LEASE_MS,
  };

  const lifecycle: LifecycleDeps = {
    ...provisioning,
    renewals: queue<RenewalMessage>(QUEUES.secretRenewals),
    notifications: queue<NotificationMessage>(QUEUES.secretNotifications),
    renewBeforeDays: config.lifecycle.renewBeforeDays,
    notificationWebhookUrl: config.lifecycle.notificationWebhookUrl,
    callbackSigningSecretName: config.callbackSigningSecretName,
    apiBase: config.publicApiBase,
  };

  const healthProbes = once((): HealthProbe[] => [
    {
      name: 'tableStorage',
      target: tables().url,
      check: async (abortSignal) => {
        await tables().getProperties({ abortSignal });
      },
    },
    {
      name: 'queueStorage',
      target: queues().url,
      check: async (abortSignal) => {
        await queues().getProperties({ abortSignal });
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
  ]);
  return {
    config,
    get tables() {
      return tables();
    },
    get queues() {
      return queues();
    },
    get healthProbes() {
      return healthProbes();
    },
    provisioning,
    lifecycle,
  };
}

let services: Services | undefined;

export function getServices(): Services {
  services ??= createServices(getConfig());
  return services;
}
