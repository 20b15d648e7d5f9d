import type { RestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { SecretClient } from '@azure/keyvault-secrets';
import { once } from '../../lazy';

/*
 * The Key Vault SDK loads when the first SecretStore method runs, not with the module: every function file reaches
 * this module (through the composition root and the step runner's KeyVaultError), and most never touch the vault.
 */
type KeyVaultSdk = typeof import('@azure/keyvault-secrets');
type RestPipeline = typeof import('@azure/core-rest-pipeline');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
const loadKeyVaultSdk = once(() => require('@azure/keyvault-secrets') as KeyVaultSdk);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
const loadRestPipeline = once(() => require('@azure/core-rest-pipeline') as RestPipeline);

/** The SDK's RestError (loaded by then: only the SDK's calls throw one). */
function isRestError(err: unknown): err is RestError {
  return err instanceof loadRestPipeline().RestError;
}

/** The tag SecretStore.put adds to each version: when it was written, to the millisecond (ISO 8601). */
export const STORED_AT_TAG = 'storedAt';

export interface StoredSecret {
  /** `{vault}/secrets/{name}/{version}` */
  id: string;
  name: string;
  version: string;
  expiresOn: Date | undefined;
  tags: Record<string, string>;
  enabled: boolean;
}

export interface PutSecretOptions {
  contentType: string;
  expiresOn: Date;
  tags: Record<string, string>;
}

export class KeyVaultError extends Error {
  readonly code: string;
  constructor(
    readonly status: number,
    vaultCode: string,
    message: string,
    cause: unknown,
  ) {
    super(`Key Vault: ${status} ${vaultCode}: ${message}`, { cause });
    this.name = 'KeyVaultError';
    this.code = `KEY_VAULT_${vaultCode.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c).toUpperCase()}`;
  }
}

function wrap(err: unknown): never {
  if (isRestError(err)) {
    const body = err.details as { error?: { code?: string; message?: string } } | undefined;
    throw new KeyVaultError(err.statusCode ?? 0, body?.error?.code ?? err.code ?? 'Error', err.message, err);
  }
  throw err;
}

/**
 * The vault that keeps the server apps' client secrets. Values go in and never come back out through this class:
 * the service itself never needs to read a secret (Configuration Manager's import script reads it).
 */
export class SecretStore {
  #secretClient: SecretClient | undefined;

  constructor(
    private readonly url: string,
    private readonly credential: TokenCredential,
  ) {}

  /** The SDK client, made on first use. */
  get #client(): SecretClient {
    this.#secretClient ??= new (loadKeyVaultSdk().SecretClient)(this.url, this.credential, {
      // The vault's challenge names its resource; locally the vault is not on *.vault.azure.net.
      disableChallengeResourceVerification: !/\.vault\.(azure\.net|usgovcloudapi\.net|azure\.cn)$/i.test(
        new URL(this.url).hostname,
      ),
    });
    return this.#secretClient;
  }

  /** The vault's URL as the SDK client has it (creates the client). */
  get vaultUrl(): string {
    return this.#client.vaultUrl;
  }

  async put(name: string, value: string, options: PutSecretOptions): Promise<StoredSecret> {
    try {
      const s = await this.#client.setSecret(name, value, {
        contentType: options.contentType,
        expiresOn: options.expiresOn,
        // Key Vault's `created` has whole seconds and lists versions in no particular order: this tag orders the
        // versions written in the same second (a renewal right after a store, a retried attempt).
        tags: { ...options.tags, [STORED_AT_TAG]: new Date().toISOString() },
      });
      return toStored(s.properties);
    } catch (err) {
      return wrap(err);
    }
  }

  /** The latest version's properties (no value), or undefined when the secret does not exist. */
  async latest(name: string): Promise<StoredSecret | undefined> {
    return (await this.versions(name)).at(-1);
  }

  /** Every version's properties (no values), oldest first. */
  async versions(name: string): Promise<StoredSecret[]> {
    try {
      const out: { secret: StoredSecret; created: number }[] = [];
      for await (const p of this.#client.listPropertiesOfSecretVersions(name)) {
        out.push({ secret: toStored(p), created: p.createdOn?.getTime() ?? 0 });
      }
      const storedAt = (s: StoredSecret): string => s.tags[STORED_AT_TAG] ?? '';
      return out
        .sort((a, b) => a.created - b.created || storedAt(a.secret).localeCompare(storedAt(b.secret)))
        .map((v) => v.secret);
    } catch (err) {
      if (isRestError(err) && err.statusCode === 404) return [];
      return wrap(err);
    }
  }

  async disable(name: string, version: string): Promise<void> {
    try {
      await this.#client.updateSecretProperties(name, version, { enabled: false });
    } catch (err) {
      wrap(err);
    }
  }

  /** Reads a value the service owns (e.g. its callback signing key); never a provisioned client secret. */
  async readOwnValue(name: string): Promise<string | undefined> {
    try {
      return (await this.#client.getSecret(name)).value;
    } catch (err) {
      if (isRestError(err) && err.statusCode === 404) return undefined;
      return wrap(err);
    }
  }
}

function toStored(p: {
  id?: string;
  name: string;
  version?: string;
  expiresOn?: Date;
  tags?: Record<string, string>;
  enabled?: boolean;
}): StoredSecret {
  return {
    id: p.id ?? '',
    name: p.name,
    version: p.version ?? '',
    expiresOn: p.expiresOn,
    tags: p.tags ?? {},
    enabled: p.enabled !== false,
  };
}
