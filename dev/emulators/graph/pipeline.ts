import type { Directory } from '../directory';
import type { TokenIssuer } from '../entra/tokens';
import { authenticate, type Caller } from './auth';
import type { CallLog, GraphCall } from './calls';
import type { GraphContext, GraphRequest, GraphResponse } from './context';
import type { GraphSchema } from './csdl/schema';
import { errorBody, Errors, GraphError } from './errors';
import type { GraphFaults } from './faults';
import { handleApplications } from './resources/applications';
import { handleDirectory } from './resources/deletedItems';
import { handleGrants } from './resources/oauth2PermissionGrants';
import { handleServicePrincipals } from './resources/servicePrincipals';
import { parsePath, type Segment } from './router';
import { directoryObjectById, handleOrganization } from './resources/tenant';

export interface GraphServices {
  directory: Directory;
  schema: GraphSchema;
  faults: GraphFaults;
  issuer: TokenIssuer;
  log: CallLog;
  /** `{emulator}/v1.0` */
  serviceRoot: () => string;
  /** Called after a successful write (persistence). */
  onWrite?: () => void;
}

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** Where a request goes, after `/v1.0`. */
function dispatch(ctx: GraphContext): GraphResponse {
  const path = ctx.request.path.replace(/^\/+/, '');
  const segments = parsePath(path);
  const [first, ...tail] = segments as [Segment | undefined, ...Segment[]];
  let rest = tail;
  if (!first) throw Errors.noRoute('');
  let key = first.key;
  // `/applications/{id}` is the same as `/applications('{id}')`
  if (
    !key &&
    rest[0] &&
    !rest[0].name.startsWith('$') &&
    ['applications', 'servicePrincipals', 'oauth2PermissionGrants', 'directoryObjects'].includes(first.name)
  ) {
    key = { kind: 'id', value: rest[0].name };
    rest = rest.slice(1);
  }
  switch (first.name) {
    case 'applications':
      return handleApplications(ctx, key, rest);
    case 'servicePrincipals':
      return handleServicePrincipals(ctx, key, rest);
    case 'oauth2PermissionGrants':
      return handleGrants(ctx, key, rest);
    case 'directory':
      return handleDirectory(ctx, rest);
    case 'directoryObjects':
      if (!key || rest.length || ctx.request.method !== 'GET') throw Errors.methodNotAllowed();
      return directoryObjectById(ctx, key.value);
    case 'organization':
      return handleOrganization(ctx, key, rest);
    default:
      throw Errors.noRoute(path);
  }
}

export interface Execution {
  response: GraphResponse;
  fault?: GraphCall['fault'];
  errorCode?: string;
}

/**
 * Runs one Graph request for an authenticated caller: the app+tenant write bucket, then the resource handler.
 * Errors become Graph's error body.
 */
export function execute(
  services: GraphServices,
  caller: Caller,
  request: GraphRequest,
  ids: { requestId: string; clientRequestId: string },
): Execution {
  const now = services.directory.now();
  const fail = (err: GraphError, fault?: GraphCall['fault']): Execution => ({
    response: { status: err.status, body: errorBody(err, { ...ids, now }), headers: err.headers },
    fault,
    errorCode: err.code,
  });
  if (WRITE_METHODS.has(request.method)) {
    const admission = services.faults.admitWrite(`${caller.tenant.id}/${caller.appId}`, now);
    if (!admission.ok) {
      return fail(Errors.throttled(admission.retryAfterSeconds, 'Tenant_Application_Write'), 'writeThrottle');
    }
  }
  const ctx: GraphContext = {
    directory: services.directory,
    schema: services.schema,
    faults: services.faults,
    tenant: caller.tenant,
    caller,
    request,
    serviceRoot: services.serviceRoot(),
    now,
    lagHit: false,
  };
  try {
    const response = dispatch(ctx);
    if (WRITE_METHODS.has(request.method)) services.onWrite?.();
    return { response, ...(ctx.lagHit ? { fault: 'replicationLag' as const } : {}) };
  } catch (err) {
    if (err instanceof GraphError) {
      const fault =
        err.code === 'Directory_ConcurrencyViolation' ? 'concurrency' : ctx.lagHit ? 'replicationLag' : undefined;
      return fail(err, fault);
    }
    throw err;
  }
}

export async function authenticateRequest(services: GraphServices, authorization: string | undefined): Promise<Caller> {
  return authenticate(authorization, services.issuer, services.directory);
}
