import type { IncomingMessage, ServerResponse } from 'node:http';
import { dropConnection, listen, readBody, requestId as newRequestId } from '../common/http';
import type { Directory, EntityRecord, TenantSeed } from '../directory';
import type { EntraEmulator } from '../entra';
import type { TokenIssuer } from '../entra/tokens';
import { runBatch } from './batch';
import { CallLog, type GraphCall } from './calls';
import type { GraphRequest, GraphResponse } from './context';
import { GraphSchema } from './csdl/schema';
import { errorBody, Errors, GraphError } from './errors';
import { GraphFaults, parseGraphFaultConfig, type GraphFaultConfig } from './faults';
import { authenticateRequest, execute, type GraphServices } from './pipeline';

export { GraphFaults, NO_GRAPH_FAULTS, parseGraphFaultConfig, type GraphFaultConfig } from './faults';
export type { GraphCall } from './calls';

export interface GraphEmulatorOptions {
  /**
   * The Entra emulator whose tokens Graph accepts; Graph shares its directory (tenants from its seeds).
   * Alternatively pass `directory` and `issuer` directly.
   */
  entra?: Pick<EntraEmulator, 'directory' | 'tokens'>;
  directory?: Directory;
  issuer?: TokenIssuer;
  /** Seeds added to the directory if it lacks them. */
  tenants?: TenantSeed[];
  tls: { cert: string; key: string };
  port?: number;
  host?: string;
  /** Initial fault configuration (seeded, reproducible). */
  faults?: Partial<GraphFaultConfig>;
  /** Persist the directory to this JSON file after every write (debounced) and on close. */
  snapshotFile?: string;
}

export interface ObjectDump {
  tenant: { id: string; displayName: string; domains: string[] };
  applications: EntityRecord[];
  servicePrincipals: EntityRecord[];
  appRoleAssignments: EntityRecord[];
  oauth2PermissionGrants: EntityRecord[];
  deletedItems: Array<{ record: EntityRecord; deletedMs: number }>;
}

export interface GraphEmulator {
  /** `https://127.0.0.1:PORT`; Graph's service root is `{url}/v1.0`. */
  url: string;
  port: number;
  directory: Directory;
  faults: GraphFaults;
  /** Calls answered so far, oldest first (optionally of one tenant). */
  calls(filter?: { tenant?: string }): GraphCall[];
  clearCalls(): void;
  /** Every object of a tenant (by id or domain), as stored, for assertions. */
  dump(tenant: string): ObjectDump | undefined;
  close(): Promise<void>;
}

const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function send(res: ServerResponse, response: GraphResponse, ids: { requestId: string; clientRequestId: string }): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = {
    'request-id': ids.requestId,
    'client-request-id': ids.clientRequestId,
    'x-ms-ags-diagnostic': JSON.stringify({
      ServerInfo: { DataCenter: 'Local', Slice: 'E', Ring: '5', ScaleUnit: '000', RoleInstance: 'graph-emulator' },
    }),
    'x-ms-resource-unit': '1',
    'cache-control': 'no-cache',
    'strict-transport-security': 'max-age=31536000',
    ...(response.headers ?? {}),
  };
  let payload = '';
  if (response.body !== undefined) {
    if (typeof response.body === 'string') {
      payload = response.body;
      headers['content-type'] ??= 'text/plain';
    } else {
      payload = JSON.stringify(response.body);
      headers['content-type'] = response.status < 400 ? ODATA_JSON : 'application/json';
      if (response.status < 400) headers['odata-version'] = '4.0';
    }
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}

function adminJson(res: ServerResponse, status: number, body?: unknown): void {
  const payload = body === undefined ? '' : JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/**
 * Starts the Microsoft Graph emulator (v1.0 subset: applications, service principals, app role assignments,
 * delegated permission grants, deleted items, $batch) over HTTPS, with seeded fault injection and an admin API
 * under `/_emulator` (faults, call log, object dumps).
 */
export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const sharedDirectory = options.entra?.directory ?? options.directory;
  const issuer = options.entra?.tokens ?? options.issuer;
  if (!sharedDirectory || !issuer) throw new Error('startGraphEmulator needs `entra` (or `directory` and `issuer`)');
  const directory: Directory = sharedDirectory;
  for (const seed of options.tenants ?? []) {
    if (!directory.tenants.has(seed.tenantId.toLowerCase())) directory.addTenant(seed);
  }
  const faults = new GraphFaults(options.faults ?? {});
  const log = new CallLog();
  let serviceRoot = '';
  let saveTimer: NodeJS.Timeout | undefined;
  const save = (): void => {
    if (options.snapshotFile) directory.saveSnapshot(options.snapshotFile);
  };
  const services: GraphServices = {
    directory,
    schema: new GraphSchema(),
    faults,
    issuer,
    log,
    serviceRoot: () => serviceRoot,
    onWrite: options.snapshotFile
      ? () => {
          clearTimeout(saveTimer);
          saveTimer = setTimeout(save, 250);
        }
      : undefined,
  };

  function dump(tenantName: string): ObjectDump | undefined {
    const t = directory.resolveTenant(tenantName);
    if (!t) return undefined;
    return {
      tenant: { id: t.id, displayName: t.displayName, domains: t.domains },
      applications: [...t.applications.values()],
      servicePrincipals: [...t.servicePrincipals.values()],
      appRoleAssignments: [...t.appRoleAssignments.values()],
      oauth2PermissionGrants: [...t.oauth2PermissionGrants.values()],
      deletedItems: [...t.deletedItems.values()],
    };
  }

  async function admin(req: IncomingMessage, res: ServerResponse, segments: string[], url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const [what, arg, sub] = segments;
    try {
      if (what === 'health') return adminJson(res, 200, { status: 'ok' });
      if (what === 'faults') {
        if (method === 'GET') return adminJson(res, 200, faults.config);
        if (method === 'DELETE') return adminJson(res, 200, faults.reset());
        if (method === 'PUT' || method === 'PATCH') {
          const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as unknown;
          const next = method === 'PUT' ? parseGraphFaultConfig(body) : parseGraphFaultConfig(body, faults.config);
          return adminJson(res, 200, faults.configure(next));
        }
      }
      if (what === 'calls') {
        if (method === 'GET')
          return adminJson(res, 200, { value: log.list({ tenant: url.searchParams.get('tenant') ?? undefined }) });
        if (method === 'DELETE') {
          log.clear();
          return adminJson(res, 204);
        }
      }
      if (what === 'tenants' && arg && sub === 'objects' && method === 'GET') {
        const d = dump(arg);
        return d ? adminJson(res, 200, d) : adminJson(res, 404, { error: `no tenant '${arg}'` });
      }
      if (what === 'snapshot' && method === 'POST') {
        const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { path?: string };
        const file = body.path ?? options.snapshotFile;
        if (!file) return adminJson(res, 400, { error: 'no snapshot path given or configured' });
        directory.saveSnapshot(file);
        return adminJson(res, 200, { saved: file });
      }
      return adminJson(res, 404, { error: `no admin route ${method} /_emulator/${segments.join('/')}` });
    } catch (err) {
      return adminJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://graph.invalid');
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] === '_emulator') return admin(req, res, segments.slice(1), url);

    const startMs = directory.now();
    const requestId = newRequestId();
    const clientRequestId = headerValue(req, 'client-request-id') ?? requestId;
    const ids = { requestId, clientRequestId };
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: Omit<GraphCall, 'seq' | 'status' | 'end' | 'durationMs'> = {
      method,
      path: `${url.pathname}${url.search}`,
      start: new Date(startMs).toISOString(),
      requestId,
      clientRequestId,
    };
    const record = (status: number, extra: Partial<GraphCall> = {}): void => {
      const end = directory.now();
      log.add({ ...entry, status, end: new Date(end).toISOString(), durationMs: end - startMs, ...extra });
    };
    const fail = (err: GraphError, extra: Partial<GraphCall> = {}): void => {
      send(
        res,
        {
          status: err.status,
          body: errorBody(err, { ...ids, now: directory.now() }),
          headers: err.headers,
        },
        ids,
      );
      record(err.status, { errorCode: err.code, ...extra });
    };

    await faults.delay();
    const decision = faults.decide();
    if (decision.kind === 'drop') {
      dropConnection(res);
      return record(0, { fault: 'drop' });
    }
    if (decision.kind === 'serverError') return fail(Errors.serverError(decision.status), { fault: 'serverError' });
    if (decision.kind === 'throttle') {
      const err = Errors.throttled(decision.retryAfterSeconds, 'Tenant_Application_All');
      return fail(err, { fault: 'throttle' });
    }
    if (segments[0] !== 'v1.0') {
      return fail(
        new GraphError(400, 'BadRequest', `Invalid version: ${segments[0] ?? ''}. The emulator serves v1.0 only.`),
      );
    }
    let body: unknown;
    const raw = await readBody(req);
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        return fail(
          new GraphError(
            400,
            'BadRequest',
            'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
          ),
        );
      }
    }
    let caller;
    try {
      caller = await authenticateRequest(services, headerValue(req, 'authorization'));
    } catch (err) {
      if (err instanceof GraphError) return fail(err);
      throw err;
    }
    const who = { tenant: caller.tenant.id, caller: caller.appId };
    const path = `/${segments.slice(1).join('/')}`;
    if (path === '/$batch') {
      if (method !== 'POST') return fail(Errors.methodNotAllowed(), who);
      try {
        const { response, outcomes } = runBatch(services, caller, body, clientRequestId);
        for (const o of outcomes) {
          log.add({
            method: o.request.method,
            path: `/v1.0${o.request.path}${o.request.query.size ? `?${o.request.query.toString()}` : ''}`,
            status: o.execution.response.status,
            start: new Date(o.start).toISOString(),
            end: new Date(o.end).toISOString(),
            durationMs: o.end - o.start,
            requestId: o.requestId,
            clientRequestId,
            ...who,
            batch: { requestId, id: o.id },
            ...(o.execution.fault ? { fault: o.execution.fault } : {}),
            ...(o.execution.errorCode ? { errorCode: o.execution.errorCode } : {}),
          });
        }
        send(res, response, ids);
        return record(response.status, who);
      } catch (err) {
        if (err instanceof GraphError) return fail(err, who);
        throw err;
      }
    }
    const request: GraphRequest = {
      method,
      // keep the path raw (keys may hold encoded characters); parsePath decodes each segment
      path: (req.url ?? '/').split('?')[0]?.replace(/^\/v1\.0/, '') ?? '/',
      query: url.searchParams,
      headers: lowerHeaders(req),
      body,
    };
    const execution = execute(services, caller, request, ids);
    send(res, execution.response, ids);
    record(execution.response.status, {
      ...who,
      ...(execution.fault ? { fault: execution.fault } : {}),
      ...(execution.errorCode ? { errorCode: execution.errorCode } : {}),
    });
  }

  const server = await listen(
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        const e = new GraphError(500, 'generalException', err instanceof Error ? err.message : String(err));
        send(
          res,
          { status: 500, body: errorBody(e, { requestId: newRequestId(), clientRequestId: '', now: Date.now() }) },
          {
            requestId: newRequestId(),
            clientRequestId: '',
          },
        );
      });
    },
    { port: options.port, host: options.host, name: 'Graph emulator', tls: options.tls },
  );
  serviceRoot = `${server.url}/v1.0`;
  return {
    url: server.url,
    port: server.port,
    directory,
    faults,
    calls: (filter) => log.list(filter),
    clearCalls: () => log.clear(),
    dump,
    close: async () => {
      clearTimeout(saveTimer);
      save();
      await server.close();
    },
  };
}
