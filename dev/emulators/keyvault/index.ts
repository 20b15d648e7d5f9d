import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import { FaultInjector, parseFaultConfig, type FaultConfig, type FaultDecision } from '../common/faults';
import { HttpError, listen, readJson, requestId, sendJson, dropConnection } from '../common/http';
import { TokenValidator, type Principal } from './auth';
import { BundleWriter } from './bundles';
import {
  badParameter,
  forbiddenByRbac,
  invalidName,
  kvError,
  missingApiVersion,
  serverError,
  throttled,
  unsupportedApiVersion,
} from './errors';
import { paginate, readPageRequest } from './paging';
import { SECRET_NAME, SecretStore, type AttributesInput, type SecretVersion } from './store';

export { challengeHeader, VAULT_RESOURCE, ACCEPTED_AUDIENCES } from './errors';

/**
 * api-versions accepted by default: those of the brief plus `2026-04-01`, the default of @azure/keyvault-secrets
 * 4.12 (the pinned 4.11 sends `2025-07-01`), so an SDK upgrade does not break the local stack.
 */
export const DEFAULT_API_VERSIONS: readonly string[] = ['7.4', '7.5', '7.6', '2025-07-01', '2026-04-01'];

/** Shared faults plus the status injected server errors carry (503, 500, or either, drawn from the seed). */
export interface KeyVaultFaultConfig extends FaultConfig {
  serverErrorStatus: 500 | 503 | 'mixed';
}

export interface KeyVaultEmulatorOptions {
  tls: { cert: string; key: string };
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
  /** Entra (emulator) base URL: the challenge points at `{authority}/{tenantId}` and keys come from there. */
  authority: string;
  /** The vault's tenant. */
  tenantId: string;
  /** oid or appid allowed to use the vault; undefined = any authenticated caller of the vault's tenant. */
  allowedPrincipals?: string[];
  faults?: Partial<KeyVaultFaultConfig>;
  /** Load state from this JSON file at start (if present) and write it after every change and at close. */
  snapshotFile?: string;
  /** Accepted `api-version` values; the last one is named in the rejection message. */
  apiVersions?: readonly string[];
  /** Soft-delete retention, 7..90 days (default 90). */
  recoverableDays?: number;
  /** Purge protection: purge refused, recovery level without "+Purgeable" (default false). */
  purgeProtection?: boolean;
  /** Time a delete or recover takes to complete, in ms (default 0: at once). */
  deleteRecoverDelayMs?: number;
  /** Let `GET /_emulator/secrets?values=true` return secret values over HTTP (default false). */
  allowValueDump?: boolean;
  /** Extra CA to trust when fetching the authority's metadata (NODE_EXTRA_CA_CERTS normally covers it). */
  authorityCa?: string;
  /** Names used in RBAC refusals. */
  vault?: { name?: string; location?: string; subscriptionId?: string; resourceGroup?: string };
  /** How many calls the call log keeps (default 5000). */
  callLogLimit?: number;
  /** Clock in epoch ms (tests). */
  now?: () => number;
}

export interface CallRecord {
  seq: number;
  method: string;
  /** Path without the query string (tokens never appear in the log). */
  path: string;
  apiVersion: string | null;
  /** null when the connection was dropped. */
  status: number | null;
  fault: FaultDecision['kind'];
  /** oid (or appid) of a validated caller. */
  principal?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export interface DumpedVersion extends Omit<SecretVersion, 'value'> {
  value?: string;
}

export interface DumpedSecret {
  name: string;
  state: string;
  currentVersion: string;
  deletedDate?: number;
  scheduledPurgeDate?: number;
  versions: DumpedVersion[];
}

export interface RunningKeyVaultEmulator {
  /** `https://127.0.0.1:{port}`: the vault URL to give SecretClient. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** Replaces the fault configuration (over the defaults) and restarts the seeded sequence. */
  configureFaults(config: Partial<KeyVaultFaultConfig>): KeyVaultFaultConfig;
  faultConfig(): KeyVaultFaultConfig;
  resetFaults(): void;
  calls(): CallRecord[];
  clearCalls(): void;
  /** State for assertions. Values only when asked: keep them out of logs. */
  dumpSecrets(options?: { includeValues?: boolean }): DumpedSecret[];
  setAllowedPrincipals(principals: string[] | undefined): void;
  /** Forgets every secret, the call log and the faults. */
  reset(): void;
}

type OperationKind =
  | 'list'
  | 'set'
  | 'get'
  | 'versions'
  | 'update'
  | 'delete'
  | 'backup'
  | 'restore'
  | 'listDeleted'
  | 'getDeleted'
  | 'purge'
  | 'recover';

interface Operation {
  kind: OperationKind;
  name?: string;
  version?: string;
}

/** RBAC data actions the service checks for each operation. */
const DATA_ACTIONS: Record<OperationKind, string> = {
  list: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  versions: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  listDeleted: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  getDeleted: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  get: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  set: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  update: 'Microsoft.KeyVault/vaults/secrets/update/action',
  delete: 'Microsoft.KeyVault/vaults/secrets/delete',
  recover: 'Microsoft.KeyVault/vaults/secrets/recover/action',
  purge: 'Microsoft.KeyVault/vaults/secrets/purge/action',
  backup: 'Microsoft.KeyVault/vaults/secrets/backup/action',
  restore: 'Microsoft.KeyVault/vaults/secrets/restore/action',
};

const MUTATIONS: ReadonlySet<OperationKind> = new Set(['set', 'update', 'delete', 'recover', 'purge']);

const AttributesBody = z.object({
  enabled: z.boolean().nullish(),
  nbf: z.number().int().nullish(),
  exp: z.number().int().nullish(),
});
const SetBody = z.object({
  value: z.string({ error: "The parameter 'value' is required and must be a string." }),
  contentType: z.string().nullish(),
  tags: z.record(z.string(), z.string()).nullish(),
  attributes: AttributesBody.nullish(),
});
const UpdateBody = SetBody.omit({ value: true });

function attributesInput(a: z.infer<typeof AttributesBody> | null | undefined): AttributesInput | undefined {
  if (!a) return undefined;
  return { enabled: a.enabled ?? undefined, nbf: a.nbf, exp: a.exp };
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
    throw badParameter(`${issue?.message ?? 'The request body is invalid.'}${where}`);
  }
  return parsed.data;
}

function parseKeyVaultFaults(input: unknown, base?: KeyVaultFaultConfig): KeyVaultFaultConfig {
  const shared = parseFaultConfig(input, base);
  const raw = (input as { serverErrorStatus?: unknown }).serverErrorStatus;
  let serverErrorStatus = base?.serverErrorStatus ?? 'mixed';
  if (raw !== undefined) {
    if (raw !== 500 && raw !== 503 && raw !== 'mixed') {
      throw new TypeError("fault setting 'serverErrorStatus' must be 500, 503 or 'mixed'");
    }
    serverErrorStatus = raw;
  }
  return { ...shared, serverErrorStatus };
}

/**
 * Starts the Key Vault (secrets) emulator over HTTPS. `SecretClient` from @azure/keyvault-secrets works with it
 * unchanged, given `disableChallengeResourceVerification: true` (the vault is not under vault.azure.net).
 */
export async function startKeyVaultEmulator(options: KeyVaultEmulatorOptions): Promise<RunningKeyVaultEmulator> {
  const now = options.now ?? Date.now;
  const apiVersions = options.apiVersions ?? DEFAULT_API_VERSIONS;
  const latestApiVersion = apiVersions[apiVersions.length - 1] ?? '';
  const authority = options.authority.replace(/\/+$/, '');
  const vault = {
    name: options.vault?.name ?? 'cm-entra-emulator',
    location: options.vault?.location ?? 'local',
    subscriptionId: options.vault?.subscriptionId ?? '00000000-0000-0000-0000-000000000000',
    resourceGroup: options.vault?.resourceGroup ?? 'local',
  };
  const store = new SecretStore({
    recoverableDays: options.recoverableDays ?? 90,
    purgeProtection: options.purgeProtection ?? false,
    transitionMs: options.deleteRecoverDelayMs ?? 0,
    now,
  });
  if (options.snapshotFile && existsSync(options.snapshotFile)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(options.snapshotFile, 'utf8')) as unknown;
    } catch (err) {
      throw new Error(`Key Vault emulator: cannot read snapshot ${options.snapshotFile}: ${String(err)}`);
    }
    store.loadSnapshot(parsed, options.snapshotFile);
  }
  const validator = new TokenValidator({
    authority,
    tenantId: options.tenantId,
    ...(options.authorityCa ? { ca: options.authorityCa } : {}),
    now,
  });
  let faultConfig = parseKeyVaultFaults(options.faults ?? {});
  const faults = new FaultInjector(faultConfig);
  let allowed = options.allowedPrincipals?.map((p) => p.toLowerCase());
  const callLimit = options.callLogLimit ?? 5000;
  let calls: CallRecord[] = [];
  let seq = 0;
  let port = 0;
  let canonicalUrl = '';

  const persist = (): void => {
    const file = options.snapshotFile;
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    // The snapshot holds secret values: owner-only.
    writeFileSync(tmp, JSON.stringify(store.toSnapshot(), null, 2), { mode: 0o600 });
    renameSync(tmp, file);
  };

  /** Ids use the loopback name the caller used (127.0.0.1 or localhost), as a real vault uses its own DNS name. */
  const vaultUrlFor = (req: IncomingMessage): string => {
    const host = req.headers.host;
    const loopback = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    return host && loopback.includes(host.toLowerCase()) ? `https://${host.toLowerCase()}` : canonicalUrl;
  };

  const record = (entry: Omit<CallRecord, 'finishedAt' | 'durationMs'>, started: number): void => {
    const finished = Date.now();
    calls.push({ ...entry, finishedAt: new Date(finished).toISOString(), durationMs: finished - started });
    if (calls.length > callLimit) calls = calls.slice(calls.length - callLimit);
  };

  const commonHeaders = (req: IncomingMessage): Record<string, string> => {
    const clientRequestId = req.headers['x-ms-client-request-id'];
    return {
      'cache-control': 'no-cache',
      pragma: 'no-cache',
      expires: '-1',
      'x-ms-request-id': requestId(),
      'x-ms-keyvault-region': vault.location,
      'x-ms-keyvault-service-version': '1.9.0.0-emulator',
      ...(typeof clientRequestId === 'string' ? { 'x-ms-client-request-id': clientRequestId } : {}),
    };
  };

  const authorize = (principal: Principal, op: Operation): void => {
    if (!allowed) return;
    const ids = [principal.oid, principal.appid].filter((x): x is string => !!x).map((x) => x.toLowerCase());
    if (ids.some((id) => allowed?.includes(id))) return;
    const base = `/subscriptions/${vault.subscriptionId}/resourcegroups/${vault.resourceGroup}/providers/microsoft.keyvault/vaults/${vault.name}`;
    throw forbiddenByRbac({
      appid: principal.appid,
      oid: principal.oid,
      iss: principal.iss,
      action: DATA_ACTIONS[op.kind],
      resource: (op.name ? `${base}/secrets/${op.name}` : base).toLowerCase(),
      vaultName: vault.name,
      location: vault.location,
    });
  };

  const execute = async (
    req: IncomingMessage,
    op: Operation,
    url: URL,
    apiVersion: string,
  ): Promise<{ status: number; body?: unknown }> => {
    const vaultUrl = vaultUrlFor(req);
    const w = new BundleWriter(vaultUrl, store);
    const name = op.name ?? '';
    switch (op.kind) {
      case 'set': {
        const body = parseBody(SetBody, await readJson(req, invalidJson));
        const r = store.set(name, {
          value: body.value,
          contentType: body.contentType ?? undefined,
          tags: body.tags ?? undefined,
          attributes: attributesInput(body.attributes),
        });
        return { status: 200, body: w.bundle(r.record, r.version, true) };
      }
      case 'get': {
        const r = store.get(name, op.version);
        return { status: 200, body: w.bundle(r.record, r.version, true) };
      }
      case 'update': {
        const body = parseBody(UpdateBody, await readJson(req, invalidJson));
        const r = store.update(name, op.version, {
          contentType: body.contentType ?? undefined,
          tags: body.tags ?? undefined,
          attributes: attributesInput(body.attributes),
        });
        return { status: 200, body: w.bundle(r.record, r.version, false) };
      }
      case 'delete':
        return { status: 200, body: w.deletedBundle(store.delete(name)) };
      case 'getDeleted':
        return { status: 200, body: w.deletedBundle(store.getDeleted(name)) };
      case 'recover': {
        const r = store.recover(name);
        return { status: 200, body: w.bundle(r, SecretStore.current(r), false) };
      }
      case 'purge':
        store.purge(name);
        return { status: 204 };
      case 'list':
        return {
          status: 200,
          body: paginate(
            store.listActive(),
            (r) => r.name.toLowerCase(),
            (r) => w.item(r),
            readPageRequest(url.searchParams),
            { base: `${vaultUrl}/secrets`, apiVersion },
          ),
        };
      case 'versions': {
        const { record: r, versions } = store.listVersions(name);
        return {
          status: 200,
          body: paginate(
            versions,
            (v) => v.version,
            (v) => w.versionItem(r, v),
            readPageRequest(url.searchParams),
            { base: `${vaultUrl}/secrets/${r.name}/versions`, apiVersion },
          ),
        };
      }
      case 'listDeleted':
        return {
          status: 200,
          body: paginate(
            store.listDeleted(),
            (r) => r.name.toLowerCase(),
            (r) => w.deletedItem(r),
            readPageRequest(url.searchParams),
            { base: `${vaultUrl}/deletedsecrets`, apiVersion },
          ),
        };
      case 'backup':
      case 'restore':
        throw kvError(501, 'NotImplemented', 'Backup and restore are not supported by the Key Vault emulator.');
    }
  };

  const handleVault = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const started = Date.now();
    const entry: Omit<CallRecord, 'finishedAt' | 'durationMs'> = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version'),
      status: null,
      fault: 'none',
      startedAt: new Date(started).toISOString(),
    };
    const headers = commonHeaders(req);
    const decision = faults.decide();
    entry.fault = decision.kind;
    await faults.delay();
    const reply = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      entry.status = status;
      sendJson(res, status, body, { ...headers, ...extra });
      record(entry, started);
    };
    if (decision.kind === 'drop') {
      req.resume();
      dropConnection(res);
      record(entry, started);
      return;
    }
    if (decision.kind === 'serverError' || decision.kind === 'throttle') {
      req.resume();
      const err =
        decision.kind === 'throttle'
          ? throttled(decision.retryAfterSeconds)
          : serverError(faultConfig.serverErrorStatus === 'mixed' ? decision.status : faultConfig.serverErrorStatus);
      reply(err.status, err.body, err.headers);
      return;
    }
    try {
      const principal = await validator.validate(req.headers.authorization);
      const principalId = principal.oid ?? principal.appid;
      if (principalId) entry.principal = principalId;
      const apiVersion = url.searchParams.get('api-version');
      if (!apiVersion) throw missingApiVersion();
      if (!apiVersions.includes(apiVersion)) throw unsupportedApiVersion(apiVersion, latestApiVersion);
      const op = resolveOperation(req.method ?? 'GET', url.pathname);
      if (op.name !== undefined && !SECRET_NAME.test(op.name)) throw invalidName(op.name);
      authorize(principal, op);
      const result = await execute(req, op, url, apiVersion);
      if (MUTATIONS.has(op.kind)) persist();
      reply(result.status, result.body);
    } catch (err) {
      req.resume();
      if (err instanceof HttpError) {
        reply(err.status, err.body, err.headers);
      } else {
        console.error('Key Vault emulator: unexpected error', err);
        reply(500, { error: { code: 'InternalServerError', message: 'The emulator failed to handle the request.' } });
      }
    }
  };

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const route = url.pathname.replace(/\/+$/, '');
    const adminError = (status: number, message: string): void =>
      sendJson(res, status, { error: { code: 'EmulatorAdmin', message } });
    try {
      if (route === '/_emulator/health' && method === 'GET') {
        sendJson(res, 200, { status: 'ok', url: canonicalUrl, tenantId: options.tenantId });
      } else if (route === '/_emulator/faults') {
        if (method === 'GET') sendJson(res, 200, api.faultConfig());
        else if (method === 'PUT') {
          const body = await readJson(req, () => new HttpError(400, {}));
          sendJson(res, 200, api.configureFaults(body ?? {}));
        } else if (method === 'DELETE') {
          api.resetFaults();
          sendJson(res, 200, api.faultConfig());
        } else adminError(405, `${method} is not supported on ${route}`);
      } else if (route === '/_emulator/calls') {
        if (method === 'GET') sendJson(res, 200, { value: api.calls() });
        else if (method === 'DELETE') {
          api.clearCalls();
          sendJson(res, 204, undefined);
        } else adminError(405, `${method} is not supported on ${route}`);
      } else if (route === '/_emulator/secrets' && method === 'GET') {
        const includeValues = url.searchParams.get('values') === 'true';
        if (includeValues && !options.allowValueDump) {
          adminError(403, 'Secret values are not served over HTTP unless the emulator starts with allowValueDump.');
        } else sendJson(res, 200, { value: api.dumpSecrets({ includeValues }) });
      } else if (route === '/_emulator/principals' && method === 'PUT') {
        const body = (await readJson(req, () => new HttpError(400, {}))) as { allowedPrincipals?: unknown } | undefined;
        const list = body?.allowedPrincipals;
        if (list !== null && list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === 'string'))) {
          adminError(400, 'allowedPrincipals must be an array of strings or null');
        } else {
          api.setAllowedPrincipals(list ?? undefined);
          sendJson(res, 200, { allowedPrincipals: allowed ?? null });
        }
      } else if (route === '/_emulator/reset' && method === 'POST') {
        api.reset();
        sendJson(res, 204, undefined);
      } else {
        adminError(404, `no admin endpoint ${method} ${route}`);
      }
    } catch (err) {
      adminError(400, err instanceof Error ? err.message : 'invalid request');
    }
  };

  const api = {
    configureFaults(config: Partial<KeyVaultFaultConfig>): KeyVaultFaultConfig {
      faultConfig = parseKeyVaultFaults(config);
      faults.configure(faultConfig);
      return { ...faultConfig };
    },
    faultConfig: (): KeyVaultFaultConfig => ({ ...faultConfig }),
    resetFaults(): void {
      faultConfig = parseKeyVaultFaults({});
      faults.configure(faultConfig);
    },
    calls: (): CallRecord[] => calls.map((c) => ({ ...c })),
    clearCalls(): void {
      calls = [];
    },
    dumpSecrets(dumpOptions: { includeValues?: boolean } = {}): DumpedSecret[] {
      return store.all().map((r) => {
        const l = r.lifecycle;
        return {
          name: r.name,
          state: l.state,
          currentVersion: SecretStore.current(r).version,
          ...(l.state === 'deleted' || l.state === 'deleting'
            ? { deletedDate: l.deletedDate, scheduledPurgeDate: l.scheduledPurgeDate }
            : {}),
          versions: r.versions.map(({ value, ...rest }) => ({
            ...structuredClone(rest),
            ...(dumpOptions.includeValues ? { value } : {}),
          })),
        };
      });
    },
    setAllowedPrincipals(principals: string[] | undefined): void {
      allowed = principals?.map((p) => p.toLowerCase());
    },
    reset(): void {
      store.clear();
      calls = [];
      api.resetFaults();
      persist();
    },
  };

  const server = await listen(
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://emulator.invalid');
      const handler =
        url.pathname === '/_emulator' || url.pathname.startsWith('/_emulator/') ? handleAdmin : handleVault;
      handler(req, res, url).catch((err: unknown) => {
        console.error('Key Vault emulator: request failed', err);
        if (!res.headersSent)
          sendJson(res, 500, { error: { code: 'InternalServerError', message: 'emulator failure' } });
      });
    },
    {
      port: options.port ?? 0,
      ...(options.host ? { host: options.host } : {}),
      name: 'Key Vault emulator',
      tls: options.tls,
    },
  );
  port = server.port;
  canonicalUrl = server.url;

  return {
    url: server.url,
    port: server.port,
    async close(): Promise<void> {
      persist();
      await server.close();
    },
    ...api,
  };
}

function invalidJson(): HttpError {
  return badParameter('The request body is not valid JSON.');
}

/** Maps a path to an operation; unknown paths are 404, known paths with the wrong method 405. */
function resolveOperation(method: string, pathname: string): Operation {
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    throw badParameter('The request URI is invalid.');
  }
  const [collection, name, third, ...rest] = segments;
  const notAllowed = (): HttpError =>
    kvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
  if (rest.length > 0) throw notFound();
  if (collection === 'secrets') {
    if (name === undefined) {
      if (method === 'GET') return { kind: 'list' };
      throw notAllowed();
    }
    if (third === undefined) {
      if (name === 'restore' && method === 'POST') return { kind: 'restore' };
      switch (method) {
        case 'PUT':
          return { kind: 'set', name };
        case 'GET':
          return { kind: 'get', name };
        case 'DELETE':
          return { kind: 'delete', name };
        case 'PATCH':
          return { kind: 'update', name };
        default:
          throw notAllowed();
      }
    }
    if (third === 'versions' && method === 'GET') return { kind: 'versions', name };
    if (third === 'backup' && method === 'POST') return { kind: 'backup', name };
    if (method === 'GET') return { kind: 'get', name, version: third };
    if (method === 'PATCH') return { kind: 'update', name, version: third };
    throw notAllowed();
  }
  if (collection === 'deletedsecrets') {
    if (name === undefined) {
      if (method === 'GET') return { kind: 'listDeleted' };
      throw notAllowed();
    }
    if (third === undefined) {
      if (method === 'GET') return { kind: 'getDeleted', name };
      if (method === 'DELETE') return { kind: 'purge', name };
      throw notAllowed();
    }
    if (third === 'recover' && method === 'POST') return { kind: 'recover', name };
    throw notAllowed();
  }
  if (collection && ['keys', 'deletedkeys', 'certificates', 'deletedcertificates', 'storage'].includes(collection)) {
    throw kvError(501, 'NotImplemented', `The Key Vault emulator serves secrets only, not ${collection}.`);
  }
  throw notFound();
}

function notFound(): HttpError {
  return kvError(404, 'NotFound', 'The requested URI does not represent any resource on the server.');
}
