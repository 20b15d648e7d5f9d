import { z } from 'zod';

/**
 * The only module that reads process.env. Settings are parsed and validated once; a bad or missing setting fails
 * fast with its name. Production sets these as app settings (infra/), the local stack through `npm start`.
 * `SETTINGS` documents every setting read here (the config contract test holds infra/ to it).
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

export interface SettingDoc {
  name: string;
  required: boolean;
  default?: string;
  description: string;
}

/** Every setting the app reads, with its default. Keep in step with the schema below. */
export const SETTINGS: readonly SettingDoc[] = [
  {
    name: 'AzureWebJobsStorage',
    required: false,
    description:
      'Storage connection string (local). In Azure use the identity-based AzureWebJobsStorage__* settings instead.',
  },
  {
    name: 'AzureWebJobsStorage__accountName',
    required: false,
    description: 'Storage account for identity-based access (queues and tables endpoints are derived from it).',
  },
  { name: 'AzureWebJobsStorage__queueServiceUri', required: false, description: 'Queue endpoint (identity-based).' },
  { name: 'AzureWebJobsStorage__tableServiceUri', required: false, description: 'Table endpoint (identity-based).' },
  {
    name: 'AzureWebJobsStorage__credential',
    required: false,
    default: 'managedidentity',
    description: 'Credential kind of the identity-based storage connection.',
  },
  {
    name: 'AzureWebJobsStorage__clientId',
    required: false,
    description: 'Client id of the user-assigned managed identity used for storage.',
  },
  { name: 'KEY_VAULT_URL', required: true, description: 'The vault that keeps the server apps’ client secrets.' },
  {
    name: 'PROVISIONER_CLIENT_ID',
    required: true,
    description: 'Client id of the multi-tenant provisioner app that calls Microsoft Graph in target tenants.',
  },
  {
    name: 'PROVISIONER_TENANT_ID',
    required: true,
    description: 'The provisioner’s home tenant (where the Function App, its identity and Key Vault live).',
  },
  {
    name: 'PROVISIONER_CREDENTIAL',
    required: false,
    default: 'managedIdentityFederation',
    description:
      'How the provisioner authenticates: managedIdentityFederation (a managed identity trusted by the app through a federated identity credential; no secret) or clientSecret (local stack).',
  },
  {
    name: 'PROVISIONER_CLIENT_SECRET',
    required: false,
    description: 'Only with PROVISIONER_CREDENTIAL=clientSecret (the local stack’s emulated tenant).',
  },
  {
    name: 'MANAGED_IDENTITY_CLIENT_ID',
    required: false,
    description:
      'Client id of the user-assigned managed identity (federation assertion, Key Vault). Required with managedIdentityFederation.',
  },
  {
    name: 'GRAPH_ENDPOINT',
    required: false,
    description: 'Overrides the cloud table’s Graph endpoint (the local stack points it at the Graph emulator).',
  },
  {
    name: 'AZURE_AUTHORITY_HOST',
    required: false,
    description: 'Overrides the cloud table’s Entra authority host (the local stack points it at the Entra emulator).',
  },
  {
    name: 'GRAPH_RETRY_MAX_SECONDS',
    required: false,
    default: '120',
    description:
      'How long one step keeps retrying Graph’s transient answers (replication lag, 429, 5xx) before the queue retries it.',
  },
  {
    name: 'PUBLIC_API_BASE_URL',
    required: false,
    description:
      'The API’s public base URL (…/api) used in links sent to callbacks. Default: https://{WEBSITE_HOSTNAME}/api.',
  },
  {
    name: 'WEBSITE_HOSTNAME',
    required: false,
    default: 'localhost:7071',
    description: 'Set by the Azure Functions platform: the app’s host name.',
  },
  {
    name: 'CALLBACK_SIGNING_SECRET_NAME',
    required: false,
    default: 'callback-signing-key',
    description: 'Key Vault secret holding the HMAC-SHA256 key that signs callbacks (created on first use).',
  },
  {
    name: 'RENEWAL_SCHEDULE',
    required: false,
    default: '0 0 2 * * *',
    description:
      'NCRONTAB (six fields, UTC unless WEBSITE_TIME_ZONE) of the secret renewal sweep timer; the Functions host reads it as %RENEWAL_SCHEDULE%, so it must be set (infra/ and npm start set it).',
  },
  {
    name: 'RENEW_BEFORE_DAYS',
    required: false,
    default: '30',
    description: 'A managed client secret is renewed when it expires within this many days (1–180).',
  },
  {
    name: 'SECRET_NOTIFICATION_WEBHOOK_URL',
    required: false,
    default: '',
    description:
      'Optional https URL that gets every secret expiry notification (30/14/7/1 days, expired), signed like callbacks, in addition to each request’s callbackUrl.',
  },
  {
    name: 'STEP_LEASE_SECONDS',
    required: false,
    default: '600',
    description:
      'How long a worker owns a running step before another may take it over (a worker that died mid-step). Keep it at least the function timeout; the fault matrix shortens it.',
  },
  {
    name: 'API_AUDIENCE',
    required: false,
    description:
      'Comma-separated audiences a caller’s Entra access token must carry: the API app registration’s client id and/or App ID URI. Unset = tokens are refused (only App Service Authentication principals, if trusted, get in).',
  },
  {
    name: 'API_TRUST_APP_SERVICE_PRINCIPAL',
    required: false,
    default: 'false',
    description:
      'true only when App Service Authentication is enabled in front of the app: then its X-MS-CLIENT-PRINCIPAL header is accepted as the caller’s identity.',
  },
  {
    name: 'ALLOWED_TENANT_IDS',
    required: false,
    default: '',
    description:
      'Comma-separated GUIDs of the tenants that may be provisioned (the allowlist). Empty = no tenant: every request is refused.',
  },
  {
    name: 'ITSM_SIGNING_KEYS',
    required: false,
    default: '{}',
    description:
      'Optional per-caller request signatures: JSON object {"<caller app id>": "<HMAC key, 32+ chars>"}. A caller listed here must sign its requests. A secret: set it as a Key Vault reference in Azure.',
  },
];

/** How the app reaches its storage account (Tables and Queues). */
export type StorageConfig =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; queueServiceUri: string; tableServiceUri: string; clientId: string | undefined };

export type ProvisionerCredentialConfig =
  | { kind: 'clientSecret'; clientSecret: string }
  | { kind: 'managedIdentityFederation'; managedIdentityClientId: string };

export interface AppConfig {
  storage: StorageConfig;
  /** Overrides the cloud table's Graph endpoint (the local stack points it at the Graph emulator). */
  graphEndpoint: string | undefined;
  /** Overrides the cloud table's authority host (the local stack points it at the Entra emulator). */
  authorityHost: string | undefined;
  keyVaultUrl: string;
  provisioner: { clientId: string; tenantId: string; credential: ProvisionerCredentialConfig };
  managedIdentityClientId: string | undefined;
  graphRetryMaxMs: number;
  callbackSigningSecretName: string;
  /** The secret lifecycle: renewal window, sweep schedule, optional notification webhook. */
  lifecycle: { renewBeforeDays: number; renewalSchedule: string; notificationWebhookUrl: string | undefined };
  /** Base of the API's links in callbacks (requests answered over HTTP use the caller's own URL). */
  publicApiBase: string;
  /** Who may call the HTTP API (src/shared/http/api.ts). */
  api: {
    audiences: readonly string[];
    trustAppServicePrincipal: boolean;
    /** Caller app id (lowercase) → HMAC key; listed callers must sign their requests. */
    itsmSigningKeys: ReadonlyMap<string, string>;
  };
  /** Lowercase GUIDs of the tenants that may be provisioned. */
  allowedTenantIds: readonly string[];
  stepLeaseMs: number;
}

const httpsOrLocalUrl = z
  .string()
  .url()
  .refine((v) => /^https:\/\//i.test(v) || /^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/i.test(v), {
    message: 'must be an https:// URL (http:// only for localhost)',
  });

const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const required = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(blankToUndefined, schema);
const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');

const GUID_LIST =
  /^\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\s*,\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})*)?\s*$/i;
const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

const schema = z.object({
  AzureWebJobsStorage: optional(z.string()),
  AzureWebJobsStorage__accountName: optional(z.string().regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name')),
  AzureWebJobsStorage__queueServiceUri: optional(httpsOrLocalUrl),
  AzureWebJobsStorage__tableServiceUri: optional(httpsOrLocalUrl),
  AzureWebJobsStorage__credential: optional(z.literal('managedidentity', 'must be managedidentity')),
  AzureWebJobsStorage__clientId: optional(guid),
  KEY_VAULT_URL: required(httpsOrLocalUrl),
  PROVISIONER_CLIENT_ID: required(guid),
  PROVISIONER_TENANT_ID: required(guid),
  PROVISIONER_CREDENTIAL: optional(
    z.enum(['managedIdentityFederation', 'clientSecret'], 'must be managedIdentityFederation or clientSecret'),
  ),
  PROVISIONER_CLIENT_SECRET: optional(z.string()),
  MANAGED_IDENTITY_CLIENT_ID: optional(guid),
  GRAPH_ENDPOINT: optional(httpsOrLocalUrl),
  AZURE_AUTHORITY_HOST: optional(httpsOrLocalUrl),
  GRAPH_RETRY_MAX_SECONDS: optional(z.coerce.number().int('must be a whole number').min(1).max(600)),
  PUBLIC_API_BASE_URL: optional(httpsOrLocalUrl),
  WEBSITE_HOSTNAME: optional(z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name')),
  CALLBACK_SIGNING_SECRET_NAME: optional(z.string().regex(/^[0-9A-Za-z-]{1,127}$/, 'must be a Key Vault secret name')),
  RENEWAL_SCHEDULE: optional(
    z
      .string()
      .regex(
        /^\s*\S+(\s+\S+){5}\s*$/,
        'must be a six-field NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week})',
      ),
  ),
  RENEW_BEFORE_DAYS: optional(z.coerce.number().int('must be a whole number').min(1).max(180)),
  SECRET_NOTIFICATION_WEBHOOK_URL: optional(httpsOrLocalUrl),
  STEP_LEASE_SECONDS: optional(z.coerce.number().int('must be a whole number').min(10).max(3600)),
  API_AUDIENCE: optional(z.string().regex(/^\s*[^\s,]+(\s*,\s*[^\s,]+)*\s*$/, 'must be a comma-separated list')),
  API_TRUST_APP_SERVICE_PRINCIPAL: optional(z.enum(['true', 'false'], 'must be true or false')),
  ALLOWED_TENANT_IDS: optional(z.string().regex(GUID_LIST, 'must be comma-separated GUIDs')),
  ITSM_SIGNING_KEYS: optional(
    z
      .string()
      .transform((v, ctx) => {
        try {
          return JSON.parse(v) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
          return z.NEVER;
        }
      })
      .pipe(z.record(guid, z.string().min(32), 'must map caller app ids (GUIDs) to keys of 32+ characters')),
  ),
});

type RawSettings = z.infer<typeof schema>;

/** The names of the settings the schema reads (the contract test checks SETTINGS and infra/ against them). */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

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

function provisionerCredentialFrom(raw: RawSettings): ProvisionerCredentialConfig {
  const kind = raw.PROVISIONER_CREDENTIAL ?? 'managedIdentityFederation';
  if (kind === 'clientSecret') {
    if (!raw.PROVISIONER_CLIENT_SECRET) {
      throw new ConfigError(
        'PROVISIONER_CLIENT_SECRET',
        'is not set (required with PROVISIONER_CREDENTIAL=clientSecret)',
      );
    }
    return { kind, clientSecret: raw.PROVISIONER_CLIENT_SECRET };
  }
  if (!raw.MANAGED_IDENTITY_CLIENT_ID) {
    throw new ConfigError(
      'MANAGED_IDENTITY_CLIENT_ID',
      'is not set (required with PROVISIONER_CREDENTIAL=managedIdentityFederation)',
    );
  }
  return { kind, managedIdentityClientId: raw.MANAGED_IDENTITY_CLIENT_ID };
}

const trimSlash = (v: string | undefined): string | undefined => v?.replace(/\/+$/, '');

/** Parses settings from an environment (default process.env); throws ConfigError naming the first bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'unknown');
    const unset = blankToUndefined(env[name]) === undefined;
    throw new ConfigError(name, unset ? 'is not set' : (issue?.message ?? 'is invalid'));
  }
  const raw = parsed.data;
  return {
    storage: storageFrom(raw),
    graphEndpoint: trimSlash(raw.GRAPH_ENDPOINT),
    authorityHost: trimSlash(raw.AZURE_AUTHORITY_HOST),
    keyVaultUrl: trimSlash(raw.KEY_VAULT_URL)!,
    provisioner: {
      clientId: raw.PROVISIONER_CLIENT_ID,
      tenantId: raw.PROVISIONER_TENANT_ID,
      credential: provisionerCredentialFrom(raw),
    },
    managedIdentityClientId: raw.MANAGED_IDENTITY_CLIENT_ID,
    graphRetryMaxMs: (raw.GRAPH_RETRY_MAX_SECONDS ?? 120) * 1000,
    callbackSigningSecretName: raw.CALLBACK_SIGNING_SECRET_NAME ?? 'callback-signing-key',
    lifecycle: {
      renewBeforeDays: raw.RENEW_BEFORE_DAYS ?? 30,
      renewalSchedule: raw.RENEWAL_SCHEDULE ?? '0 0 2 * * *',
      notificationWebhookUrl: raw.SECRET_NOTIFICATION_WEBHOOK_URL,
    },
    publicApiBase:
      trimSlash(raw.PUBLIC_API_BASE_URL) ??
      (raw.WEBSITE_HOSTNAME && !/^localhost(:|$)/i.test(raw.WEBSITE_HOSTNAME)
        ? `https://${raw.WEBSITE_HOSTNAME}/api`
        : `http://${raw.WEBSITE_HOSTNAME ?? 'localhost:7071'}/api`),
    api: {
      audiences: list(raw.API_AUDIENCE),
      trustAppServicePrincipal: raw.API_TRUST_APP_SERVICE_PRINCIPAL === 'true',
      itsmSigningKeys: new Map(Object.entries(raw.ITSM_SIGNING_KEYS ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    },
    allowedTenantIds: list(raw.ALLOWED_TENANT_IDS).map((t) => t.toLowerCase()),
    stepLeaseMs: (raw.STEP_LEASE_SECONDS ?? 600) * 1000,
  };
}

let cached: AppConfig | undefined;

/** The worker's configuration, parsed on first use. */
export function getConfig(): AppConfig {
  cached ??= loadConfig();
  return cached;
}
