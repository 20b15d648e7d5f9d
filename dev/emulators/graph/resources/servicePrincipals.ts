import { isoDate, newGuid, type EntityRecord, type JsonObject, type TenantDirectory } from '../../directory';
import { hasAny, requireRole, requireWrite, Roles } from '../auth';
import { bodyObject, isVisible, replicated, stringProp, type GraphContext, type GraphResponse } from '../context';
import { Errors } from '../errors';
import { actionName, type KeyExpr, type Segment } from '../router';
import { handleAssignments } from './appRoleAssignments';
import { collectionResponse, countResponse, entityResponse, refuseReadOnly, withoutAnnotations } from './common';
import { moveToDeletedItems } from './deletedItems';
import { grantsOfClient } from './oauth2PermissionGrants';
import { boundOwners, handleOwners } from './owners';

export const SERVICE_PRINCIPAL = 'microsoft.graph.servicePrincipal';

const READ_ONLY = [
  'id',
  'appOwnerOrganizationId',
  'createdDateTime',
  'deletedDateTime',
  'appDisplayName',
  'signInAudience',
];
const DERIVED = ['appRoles', 'oauth2PermissionScopes'];

const FILTERABLE = [
  'id',
  'appId',
  'displayName',
  'servicePrincipalNames',
  'tags',
  'accountEnabled',
  'appOwnerOrganizationId',
  'servicePrincipalType',
  'preferredSingleSignOnMode',
];

const spec = {
  type: SERVICE_PRINCIPAL,
  resource: 'ServicePrincipal' as const,
  contextPath: 'servicePrincipals',
  filterable: FILTERABLE,
};

const MULTI_TENANT = ['AzureADMultipleOrgs', 'AzureADandPersonalMicrosoftAccount'];

/** Graph shows a service principal with the properties that follow its application. */
function view(ctx: GraphContext, record: EntityRecord): EntityRecord {
  return { ...record, data: ctx.tenant.servicePrincipalView(record) };
}

function findServicePrincipal(ctx: GraphContext, key: KeyExpr, includeLagging = false): EntityRecord | undefined {
  let record: EntityRecord | undefined;
  if (key.kind === 'id') record = ctx.tenant.servicePrincipals.get(key.value.toLowerCase());
  else if (key.property === 'appId') record = ctx.tenant.servicePrincipalByAppId(key.value);
  else throw Errors.badRequest(`The key property '${key.property}' is not an alternate key of 'servicePrincipal'.`);
  return includeLagging ? record : replicated(ctx, record);
}

export function getServicePrincipal(ctx: GraphContext, key: KeyExpr): EntityRecord {
  const record = findServicePrincipal(ctx, key);
  if (!record) throw Errors.notFound(key.value);
  return record;
}

function checkWritable(body: JsonObject, existing: JsonObject | undefined): void {
  refuseReadOnly(body, existing, READ_ONLY);
  if (existing && 'appId' in body && body.appId !== existing.appId) throw Errors.readOnly('appId');
}

/** A multi-tenant application registered in another emulated tenant. */
function foreignMultiTenantApp(
  ctx: GraphContext,
  appId: string,
): { app: EntityRecord; home: TenantDirectory } | undefined {
  for (const t of ctx.directory.tenants.values()) {
    if (t === ctx.tenant) continue;
    const app = t.applicationByAppId(appId);
    if (app && MULTI_TENANT.includes(String(app.data.signInAudience))) return { app, home: t };
  }
  return undefined;
}

/**
 * Creates the service principal of an application. With Application.ReadWrite.OwnedBy the caller must own the
 * backing application, which must be visible in this tenant (Graph's 403 otherwise); with ReadWrite.All an
 * application Graph cannot see yet gives 400 NoBackingApplicationObject.
 */
function create(ctx: GraphContext, body: JsonObject, keyAppId?: string): EntityRecord {
  const ownedOnly = !hasAny(ctx.caller, Roles.writeAllApplications);
  if (ownedOnly && !ctx.caller.roles.has(Roles.ownedApplications)) throw Errors.forbidden();
  ctx.schema.validate(body, SERVICE_PRINCIPAL);
  checkWritable(body, undefined);
  const appId = keyAppId ?? stringProp(body, 'appId');
  if (keyAppId && 'appId' in body && body.appId !== keyAppId) throw Errors.readOnly('appId');
  if (!appId) throw Errors.invalidValue('appId', 'ServicePrincipal');
  const local = ctx.tenant.applicationByAppId(appId);
  const localVisible = local !== undefined && isVisible(ctx, local);
  if (local && !localVisible) ctx.lagHit = true;
  const foreign = localVisible ? undefined : foreignMultiTenantApp(ctx, appId);
  if (ownedOnly) {
    if (!localVisible) throw Errors.backingApplicationNotLocal();
    if (!local.owners.includes(ctx.caller.servicePrincipalId)) throw Errors.forbidden();
  } else if (!localVisible && !foreign) {
    throw Errors.noBackingApplication(appId);
  }
  if (ctx.tenant.servicePrincipalByAppId(appId)) {
    throw Errors.badRequest('Another object with the same value for property servicePrincipalNames already exists.', [
      {
        code: 'ObjectConflict',
        message: 'Another object with the same value for property servicePrincipalNames already exists.',
        target: 'servicePrincipalNames',
      },
    ]);
  }
  const app = (localVisible ? local : foreign?.app) as EntityRecord;
  const owners = boundOwners(ctx, body);
  if (ctx.caller.roles.has(Roles.ownedApplications) && !owners.includes(ctx.caller.servicePrincipalId)) {
    owners.unshift(ctx.caller.servicePrincipalId);
  }
  const web = (app.data.web ?? {}) as JsonObject;
  const id = newGuid();
  const data: JsonObject = {
    accountEnabled: true,
    displayName: app.data.displayName ?? null,
    homepage: web.homePageUrl ?? null,
    replyUrls: Array.isArray(web.redirectUris) ? web.redirectUris : [],
    servicePrincipalType: 'Application',
    tags: [],
    ...Object.fromEntries(Object.entries(withoutAnnotations(body)).filter(([k]) => !DERIVED.includes(k))),
    id,
    appId: String(app.data.appId),
    appDisplayName: app.data.displayName ?? null,
    appOwnerOrganizationId: foreign ? foreign.home.id : ctx.tenant.id,
    createdDateTime: isoDate(ctx.now),
    signInAudience: app.data.signInAudience ?? null,
    servicePrincipalNames: [String(app.data.appId)],
    appRoles: Array.isArray(app.data.appRoles) ? app.data.appRoles : [],
    oauth2PermissionScopes: Array.isArray((app.data.api as JsonObject | undefined)?.oauth2PermissionScopes)
      ? (app.data.api as JsonObject).oauth2PermissionScopes
      : [],
  };
  const record: EntityRecord = {
    kind: 'servicePrincipal',
    data,
    createdMs: ctx.now,
    replicatedAtMs: ctx.now + ctx.faults.lagMs(),
    owners,
  };
  ctx.tenant.servicePrincipals.set(id, record);
  return record;
}

function update(ctx: GraphContext, record: EntityRecord, body: JsonObject): void {
  requireWrite(ctx.caller, record);
  ctx.schema.validate(body, SERVICE_PRINCIPAL);
  checkWritable(body, record.data);
  const patch = withoutAnnotations(body);
  if ('displayName' in patch && (typeof patch.displayName !== 'string' || !patch.displayName.trim())) {
    throw Errors.invalidValue('displayName', 'ServicePrincipal');
  }
  record.data = ctx.schema.merge(SERVICE_PRINCIPAL, record.data, patch);
}

/** Routes under `/servicePrincipals`. */
export function handleServicePrincipals(ctx: GraphContext, key: KeyExpr | undefined, rest: Segment[]): GraphResponse {
  const method = ctx.request.method;
  if (!key) {
    if (rest[0]?.name === '$count' && method === 'GET') {
      requireRole(ctx.caller, Roles.readApplications);
      return countResponse(ctx, ctx.tenant.servicePrincipals.values());
    }
    if (rest.length) throw Errors.noRoute(rest[0]?.name ?? '');
    if (method === 'GET') {
      requireRole(ctx.caller, Roles.readApplications);
      return collectionResponse(
        ctx,
        spec,
        [...ctx.tenant.servicePrincipals.values()].map((r) => view(ctx, r)),
      );
    }
    if (method === 'POST') {
      const record = create(ctx, bodyObject(ctx));
      return entityResponse(ctx, spec, view(ctx, record), 201, {
        location: `${ctx.serviceRoot}/servicePrincipals/${String(record.data.id)}`,
      });
    }
    throw Errors.methodNotAllowed();
  }
  if (rest.length === 0) {
    if (method === 'GET') {
      requireRole(ctx.caller, Roles.readApplications);
      return entityResponse(ctx, spec, view(ctx, getServicePrincipal(ctx, key)));
    }
    if (method === 'PATCH') {
      const body = bodyObject(ctx);
      const prefer = (ctx.request.headers.prefer ?? '').toLowerCase();
      const upsert = key.kind === 'alternate' && key.property === 'appId' && prefer.includes('create-if-missing');
      const existing = findServicePrincipal(ctx, key, upsert);
      if (!existing) {
        if (!upsert) throw Errors.notFound(key.value);
        const record = create(ctx, body, key.value);
        return entityResponse(ctx, spec, view(ctx, record), 201, {
          location: `${ctx.serviceRoot}/servicePrincipals/${String(record.data.id)}`,
        });
      }
      update(ctx, existing, body);
      return { status: 204 };
    }
    if (method === 'DELETE') {
      const record = getServicePrincipal(ctx, key);
      requireWrite(ctx.caller, record);
      moveToDeletedItems(ctx, record);
      return { status: 204 };
    }
    throw Errors.methodNotAllowed();
  }
  const record = getServicePrincipal(ctx, key);
  const sub = actionName(rest[0]);
  if (sub === 'appRoleAssignedTo' || sub === 'appRoleAssignments') {
    return handleAssignments(ctx, view(ctx, record), sub, rest.slice(1));
  }
  if (sub === 'owners') return handleOwners(ctx, record, rest.slice(1));
  if (sub === 'oauth2PermissionGrants' && rest.length === 1 && method === 'GET') {
    return grantsOfClient(ctx, record);
  }
  throw Errors.noRoute(sub ?? '');
}
