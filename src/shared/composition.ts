import { TableServiceClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';
import { AppConfig, getConfig } from './config';
import type { HealthProbe } from './health/checkHealth';

/**
 * The composition root: every client is created once per worker, on first use, from the validated configuration.
 * Functions get their dependencies from here and nowhere else.
 */
export interface Services {
  config: AppConfig;
  tables: TableServiceClient;
  queues: QueueServiceClient;
  healthProbes: HealthProbe[];
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
  if (storage.kind === 'connectionString') {
    tables = TableServiceClient.fromConnectionString(storage.connectionString, { allowInsecureConnection: true });
    queues = QueueServiceClient.fromConnectionString(storage.connectionString);
  } else {
    const credential = new DefaultAzureCredential({ managedIdentityClientId: storage.clientId });
    tables = new TableServiceClient(storage.tableServiceUri, credential);
    queues = new QueueServiceClient(storage.queueServiceUri, credential);
  }

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
      target: config.authorityHost,
      check: (signal) => answers(`${config.authorityHost}/organizations/v2.0/.well-known/openid-configuration`, signal),
    },
    {
      name: 'graph',
      target: config.graphEndpoint,
      check: (signal) => answers(`${config.graphEndpoint}/v1.0/`, signal),
    },
    {
      name: 'keyVault',
      target: config.keyVaultUrl,
      check: (signal) => answers(`${config.keyVaultUrl}/secrets?api-version=7.5`, signal),
    },
  ];
  return { config, tables, queues, healthProbes };
}

let services: Services | undefined;

export function getServices(): Services {
  services ??= createServices(getConfig());
  return services;
}
