import { z } from 'zod';

/**
 * The only module that reads process.env. Settings are parsed and validated once; a bad or missing setting fails
 * fast with its name. Production sets these as app settings (see infra/), the local stack through `npm start`.
 */

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly status = 500;
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`Configuration setting '${setting}' ${message}`);
    this.name = 'ConfigError';
  }
}

/** How the app reaches its storage account (Tables and Queues). */
export type StorageConfig =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; queueServiceUri: string; tableServiceUri: string; clientId: string | undefined };

export interface AppConfig {
  storage: StorageConfig;
  /** Overrides the cloud table's Graph endpoint (the local stack points it at the Graph emulator). */
  graphEndpoint: string | undefined;
  /** Overrides the cloud table's authority host (the local stack points it at the Entra emulator). */
  authorityHost: string | undefined;
  keyVaultUrl: string | undefined;
}

const httpsOrLocalUrl = z
  .string()
  .url()
  .refine((v) => /^https:\/\//i.test(v) || /^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/i.test(v), {
    message: 'must be an https:// URL (http:// only for localhost)',
  });

const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const schema = z.object({
  AzureWebJobsStorage: optional(z.string()),
  AzureWebJobsStorage__accountName: optional(z.string().regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name')),
  AzureWebJobsStorage__queueServiceUri: optional(httpsOrLocalUrl),
  AzureWebJobsStorage__tableServiceUri: optional(httpsOrLocalUrl),
  AzureWebJobsStorage__clientId: optional(z.string().uuid()),
  GRAPH_ENDPOINT: optional(httpsOrLocalUrl),
  AZURE_AUTHORITY_HOST: optional(httpsOrLocalUrl),
  KEY_VAULT_URL: optional(httpsOrLocalUrl),
});

type RawSettings = z.infer<typeof schema>;

function storageFrom(raw: RawSettings): StorageConfig {
  if (raw.AzureWebJobsStorage) return { kind: 'connectionString', connectionString: raw.AzureWebJobsStorage };
  const account = raw.AzureWebJobsStorage__accountName;
  const queueServiceUri =
    raw.AzureWebJobsStorage__queueServiceUri ?? (account ? `https://${account}.queue.core.windows.net` : undefined);
  const tableServiceUri =
    raw.AzureWebJobsStorage__tableServiceUri ?? (account ? `https://${account}.table.core.windows.net` : undefined);
  if (!queueServiceUri || !tableServiceUri) {
    throw new ConfigError(
      'AzureWebJobsStorage',
      'is not set: give a connection string, or AzureWebJobsStorage__accountName for an identity-based connection',
    );
  }
  return { kind: 'identity', queueServiceUri, tableServiceUri, clientId: raw.AzureWebJobsStorage__clientId };
}

/** Parses settings from an environment (default process.env); throws ConfigError naming the first bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue?.path[0] ?? 'unknown'), issue?.message ?? 'is invalid');
  }
  const raw = parsed.data;
  return {
    storage: storageFrom(raw),
    graphEndpoint: raw.GRAPH_ENDPOINT?.replace(/\/+$/, ''),
    authorityHost: raw.AZURE_AUTHORITY_HOST?.replace(/\/+$/, ''),
    keyVaultUrl: raw.KEY_VAULT_URL?.replace(/\/+$/, ''),
  };
}

let cached: AppConfig | undefined;

/** The worker's configuration, parsed on first use. */
export function getConfig(): AppConfig {
  cached ??= loadConfig();
  return cached;
}
