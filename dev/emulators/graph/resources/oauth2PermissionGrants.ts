import { newAppRoleAssignmentId, type EntityRecord } from '../../directory';
import { requireRole, Roles } from '../auth';
import { bodyObject, visibleOrNotFound, type GraphContext, type GraphResponse } from '../context';
import { Errors } from '../errors';
import type { KeyExpr, Segment } from '../router';
import { collectionResponse, entityResponse } from './common';

export const GRANT = 'microsoft.graph.oAuth2PermissionGrant';

const spec = {
  type: GRANT,
  resource: 'OAuth2PermissionGrant' as const,
  contextPath: 'oauth2PermissionGrants',
  filterable: ['id', 'clientId', 'resourceId', 'consentType', 'principalId'],
};

/** A service principal a grant refers to; one still replicating is not found yet (404). */
function referencedServicePrincipal(ctx: GraphContext, id: string, property: string): EntityRecord {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw Errors.invalidValue(property, 'OAuth2PermissionGrant');
  return visibleOrNotFound(ctx, ctx.tenant.servicePrincipals.get(id.toLowerCase()), id);
}

function normaliseScope(scope: unknown): string {
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean).join(' ') : '';
}

function create(ctx: GraphContext): EntityRecord {
  requireRole(ctx.caller, Roles.writeGrants);
  const body = bodyObject(ctx);
  ctx.schema.validate(body, GRANT);
  if ('id' in body) throw Errors.readOnly('id');
  const clientId = typeof body.clientId === 'string' ? body.clientId : '';
  const resourceId = typeof body.resourceId === 'string' ? body.resourceId : '';
  if (!clientId) throw Errors.invalidValue('clientId', 'OAuth2PermissionGrant');
  if (!resourceId) throw Errors.invalidValue('resourceId', 'OAuth2PermissionGrant');
  const consentType = body.consentType;
  const principalId = typeof body.principalId === 'string' ? body.principalId : null;
  if (consentType !== 'AllPrincipals' && consentType !== 'Principal') {
    throw Errors.invalidValue('consentType', 'OAuth2PermissionGrant');
  }
  if ((consentType === 'AllPrincipals') !== (principalId === null)) {
    throw Errors.invalidValue('principalId', 'OAuth2PermissionGrant');
  }
  const client = referencedServicePrincipal(ctx, clientId, 'clientId');
  const resource = referencedServicePrincipal(ctx, resourceId, 'resourceId');
  const duplicate = [...ctx.tenant.oauth2PermissionGrants.values()].some(
    (g) =>
      String(g.data.clientId).toLowerCase() === clientId.toLowerCase() &&
      String(g.data.resourceId).toLowerCase() === resourceId.toLowerCase() &&
      g.data.consentType === consentType &&
      (typeof g.data.principalId === 'string' ? g.data.principalId.toLowerCase() : '') ===
        (principalId ?? '').toLowerCase(),
  );
  if (duplicate) throw Errors.duplicateGrant();
  const id = newAppRoleAssignmentId();
  const record: EntityRecord = {
    kind: 'oAuth2PermissionGrant',
    data: {
      id,
      clientId: String(client.data.id),
      consentType,
      principalId,
      resourceId: String(resource.data.id),
      scope: normaliseScope(body.scope),
    },
    createdMs: ctx.now,
    replicatedAtMs: ctx.now + ctx.faults.lagMs(),
    owners: [],
  };
  ctx.tenant.oauth2PermissionGrants.set(id.toLowerCase(), record);
  return record;
}

function get(ctx: GraphContext, id: string): EntityRecord {
  return visibleOrNotFound(ctx, ctx.tenant.oauth2PermissionGrants.get(id.toLowerCase()), id);
}

/** `servicePrincipals/{id}/oauth2PermissionGrants`: the grants this client holds. */
export function grantsOfClient(ctx: GraphContext, client: EntityRecord): GraphResponse {
  requireRole(ctx.caller, Roles.readGrants);
  const id = String(client.data.id).toLowerCase();
  return collectionResponse(
    ctx,
    spec,
    [...ctx.tenant.oauth2PermissionGrants.values()].filter((g) => String(g.data.clientId).toLowerCase() === id),
  );
}

/** Routes under `/oauth2PermissionGrants` (delegated permission grants). */
export function handleGrants(ctx: GraphContext, key: KeyExpr | undefined, rest: Segment[]): GraphResponse {
  const method = ctx.request.method;
  if (rest.length) throw Errors.noRoute(rest[0]?.name ?? '');
  if (!key) {
    if (method === 'GET') {
      requireRole(ctx.caller, Roles.readGrants);
      return collectionResponse(ctx, spec, ctx.tenant.oauth2PermissionGrants.values());
    }
    if (method === 'POST') return entityResponse(ctx, spec, create(ctx), 201);
    throw Errors.methodNotAllowed();
  }
  if (key.kind !== 'id')
    throw Errors.badRequest(`The key property '${key.property}' is not an alternate key of 'oAuth2PermissionGrant'.`);
  if (method === 'GET') {
    requireRole(ctx.caller, Roles.readGrants);
    return entityResponse(ctx, spec, get(ctx, key.value));
  }
  if (method === 'PATCH') {
    requireRole(ctx.caller, Roles.writeGrants);
    const record = get(ctx, key.value);
    const body = bodyObject(ctx);
    ctx.schema.validate(body, GRANT);
    for (const k of Object.keys(body)) {
      if (k !== 'scope' && !k.includes('@') && body[k] !== record.data[k]) throw Errors.readOnly(k);
    }
    if ('scope' in body) record.data = { ...record.data, scope: normaliseScope(body.scope) };
    return { status: 204 };
  }
  if (method === 'DELETE') {
    requireRole(ctx.caller, Roles.writeGrants);
    const record = get(ctx, key.value);
    ctx.tenant.oauth2PermissionGrants.delete(String(record.data.id).toLowerCase());
    return { status: 204 };
  }
  throw Errors.methodNotAllowed();
}
