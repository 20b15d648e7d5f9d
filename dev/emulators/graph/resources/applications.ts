import {
  DEFAULT_PASSWORD_LIFETIME_MS,
  isGuid,
  isoDate,
  nameBasedGuid,
  newGuid,
  type EntityRecord,
  type JsonObject,
} from '../../directory';
import { canCreateApplications, requireRole, requireWrite, Roles } from '../auth';
import { bodyObject, replicated, stringProp, type GraphContext, type GraphResponse } from '../context';
import { Errors } from '../errors';
import { actionName, type KeyExpr, type Segment } from '../router';
import { checkApplication } from './applicationRules';
import { normaliseKeyCredentials } from './keyCredentials';
import {
  collectionResponse,
  contextUrl,
  countResponse,
  entityResponse,
  refuseReadOnly,
  withoutAnnotations,
} from './common';
import { moveToDeletedItems } from './deletedItems';
import { boundOwners, handleOwners } from './owners';

export const APPLICATION = 'microsoft.graph.application';

/** Properties Graph computes; a request body that sets them is refused. */
const READ_ONLY = ['id', 'appId', 'createdDateTime', 'deletedDateTime', 'publisherDomain', 'disabledByMicrosoftStatus'];

const FILTERABLE = [
  'id',
  'appId',
  'displayName',
  'uniqueName',
  'identifierUris',
  'tags',
  'signInAudience',
  'publisherDomain',
  'createdDateTime',
  'web',
  'spa',
  'publicClient',
  'requiredResourceAccess',
];

const spec = {
  type: APPLICATION,
  resource: 'Application' as const,
  contextPath: 'applications',
  filterable: FILTERABLE,
};

function findApplication(ctx: GraphContext, key: KeyExpr, includeLagging = false): EntityRecord | undefined {
  const t = ctx.tenant;
  let record: EntityRecord | undefined;
  if (key.kind === 'id') record = t.applications.get(key.value.toLowerCase());
  else if (key.property === 'appId') record = t.applicationByAppId(key.value);
  else if (key.property === 'uniqueName') record = t.applicationByUniqueName(key.value);
  else throw Errors.badRequest(`The key property '${key.property}' is not an alternate key of 'application'.`);
  return includeLagging ? record : replicated(ctx, record);
}

function getApplication(ctx: GraphContext, key: KeyExpr): EntityRecord {
  const record = findApplication(ctx, key);
  if (!record) throw Errors.notFound(key.value);
  return record;
}

/** Refuses read-only properties, secrets set through the object (use addPassword) and a changed uniqueName. */
function checkWritable(body: JsonObject, existing: JsonObject | undefined): void {
  refuseReadOnly(body, existing, READ_ONLY);
  if (existing && 'uniqueName' in body && existing.uniqueName != null && body.uniqueName !== existing.uniqueName) {
    throw Errors.readOnly('uniqueName');
  }
}

/** Creates an application (POST, or the create half of an upsert). */
function create(ctx: GraphContext, body: JsonObject, uniqueName?: string): EntityRecord {
  if (!canCreateApplications(ctx.caller)) throw Errors.forbidden();
  ctx.schema.validate(body, APPLICATION);
  checkWritable(body, undefined);
  if (uniqueName !== undefined) {
    if ('uniqueName' in body && body.uniqueName !== uniqueName) throw Errors.readOnly('uniqueName');
  }
  if (typeof body.displayName !== 'string' || !body.displayName.trim()) {
    throw Errors.invalidValue('displayName', 'Application');
  }
  const owners = boundOwners(ctx, body);
  const id = newGuid();
  const data: JsonObject = {
    ...withoutAnnotations(body),
    id,
    appId: newGuid(),
    createdDateTime: isoDate(ctx.now),
    publisherDomain: ctx.tenant.initialDomain,
    signInAudience: stringProp(body, 'signInAudience') ?? 'AzureADandPersonalMicrosoftAccount',
    passwordCredentials: [],
    ...(uniqueName !== undefined ? { uniqueName } : {}),
  };
  if ('keyCredentials' in body) data.keyCredentials = normaliseKeyCredentials(body.keyCredentials, []);
  checkApplication(ctx.tenant, {}, data, { ...body, ...(uniqueName !== undefined ? { uniqueName } : {}) }, id);
  // with Application.ReadWrite.OwnedBy the calling app becomes an owner of what it creates
  if (ctx.caller.roles.has(Roles.ownedApplications) && !owners.includes(ctx.caller.servicePrincipalId)) {
    owners.unshift(ctx.caller.servicePrincipalId);
  }
  const record: EntityRecord = {
    kind: 'application',
    data,
    createdMs: ctx.now,
    replicatedAtMs: ctx.now + ctx.faults.lagMs(),
    owners,
  };
  ctx.tenant.applications.set(id, record);
  return record;
}

function update(ctx: GraphContext, record: EntityRecord, body: JsonObject): void {
  requireWrite(ctx.caller, record);
  ctx.schema.validate(body, APPLICATION);
  checkWritable(body, record.data);
  const patch = withoutAnnotations(body);
  const merged = ctx.schema.merge(APPLICATION, record.data, patch);
  if ('keyCredentials' in patch) {
    if (!ctx.faults.admitCredentialWrite(String(record.data.id), ctx.now)) throw Errors.concurrency();
    merged.keyCredentials = normaliseKeyCredentials(patch.keyCredentials, record.data.keyCredentials);
  }
  checkApplication(ctx.tenant, record.data, merged, patch, String(record.data.id));
  record.data = merged;
}

/** The body of a bound action, refusing parameters the CSDL does not declare for it (as Graph's OData reader does). */
function actionParameters(ctx: GraphContext, action: 'addPassword' | 'removePassword'): JsonObject {
  const body = (ctx.request.body ?? {}) as JsonObject;
  const declared = ctx.schema.action(action, APPLICATION)?.parameters ?? [];
  for (const key of Object.keys(body)) {
    if (!declared.some((p) => p.name === key)) {
      throw Errors.badRequest(
        `The parameter '${key}' in the request payload is not a valid parameter for the operation '${action}'.`,
      );
    }
  }
  return body;
}

/** The tenant's app management policy id (reported in CredentialInvalidLifetimeAsPerAppPolicy). */
function policyId(ctx: GraphContext): string {
  return nameBasedGuid(ctx.tenant.id, 'tenantAppManagementPolicy');
}

function addPassword(ctx: GraphContext, record: EntityRecord): GraphResponse {
  requireWrite(ctx.caller, record);
  const body = actionParameters(ctx, 'addPassword');
  const credential = (body.passwordCredential ?? {}) as JsonObject;
  if (body.passwordCredential !== undefined && body.passwordCredential !== null) {
    ctx.schema.validate(credential, 'microsoft.graph.passwordCredential');
  }
  if (!ctx.faults.admitCredentialWrite(String(record.data.id), ctx.now)) throw Errors.concurrency();
  const start = stringProp(credential, 'startDateTime') ?? isoDate(ctx.now);
  const end = stringProp(credential, 'endDateTime');
  const startMs = Date.parse(start);
  const endMs = end ? Date.parse(end) : startMs + DEFAULT_PASSWORD_LIFETIME_MS;
  if (endMs <= startMs)
    throw Errors.badRequest("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.");
  const maxDays = ctx.tenant.maxPasswordLifetimeDays;
  if (maxDays !== undefined && endMs - startMs > maxDays * 24 * 3600 * 1000)
    throw Errors.credentialLifetime(policyId(ctx));
  const { credential: created } = ctx.directory.addPassword(ctx.tenant, record, {
    activeAtMs: ctx.now + ctx.faults.lagMs(),
    displayName: stringProp(credential, 'displayName') ?? null,
    startDateTime: isoDate(startMs),
    endDateTime: isoDate(endMs),
  });
  return {
    status: 200,
    body: { '@odata.context': contextUrl(ctx, 'microsoft.graph.passwordCredential'), ...created },
  };
}

function removePassword(ctx: GraphContext, record: EntityRecord): GraphResponse {
  requireWrite(ctx.caller, record);
  const body = actionParameters(ctx, 'removePassword');
  const keyId = body.keyId;
  if (typeof keyId !== 'string' || !isGuid(keyId)) {
    throw Errors.badRequest(`Cannot convert the literal '${String(keyId)}' to the expected type 'Edm.Guid'.`);
  }
  if (!ctx.faults.admitCredentialWrite(String(record.data.id), ctx.now)) throw Errors.concurrency();
  if (!ctx.directory.removePassword(ctx.tenant, record, keyId)) {
    throw Errors.badRequest(`No password credential found with keyId '${keyId}'.`, [
      {
        code: 'NoPasswordCredentialFound',
        message: `No password credential found with keyId '${keyId}'.`,
        target: 'keyId',
      },
    ]);
  }
  return { status: 204 };
}

/** Routes under `/applications`. */
export function handleApplications(ctx: GraphContext, key: KeyExpr | undefined, rest: Segment[]): GraphResponse {
  const method = ctx.request.method;
  if (!key) {
    if (rest[0]?.name === '$count' && method === 'GET') {
      requireRole(ctx.caller, Roles.readApplications);
      return countResponse(ctx, ctx.tenant.applications.values());
    }
    if (rest.length) throw Errors.noRoute(rest[0]?.name ?? '');
    if (method === 'GET') {
      requireRole(ctx.caller, Roles.readApplications);
      return collectionResponse(ctx, spec, ctx.tenant.applications.values());
    }
    if (method === 'POST') {
      const record = create(ctx, bodyObject(ctx));
      return entityResponse(ctx, spec, record, 201, {
        location: `${ctx.serviceRoot}/applications/${String(record.data.id)}`,
      });
    }
    throw Errors.methodNotAllowed();
  }

  if (rest.length === 0) {
    if (method === 'GET') {
      requireRole(ctx.caller, Roles.readApplications);
      return entityResponse(ctx, spec, getApplication(ctx, key));
    }
    if (method === 'PATCH') {
      const body = bodyObject(ctx);
      const prefer = (ctx.request.headers.prefer ?? '').toLowerCase();
      const upsert = key.kind === 'alternate' && key.property === 'uniqueName' && prefer.includes('create-if-missing');
      // the write goes to the primary, which sees objects still replicating
      const existing = findApplication(ctx, key, upsert);
      if (!existing) {
        if (!upsert) throw Errors.notFound(key.value);
        const record = create(ctx, body, key.value);
        return entityResponse(ctx, spec, record, 201, {
          location: `${ctx.serviceRoot}/applications/${String(record.data.id)}`,
        });
      }
      update(ctx, existing, body);
      return { status: 204 };
    }
    if (method === 'DELETE') {
      const record = getApplication(ctx, key);
      requireWrite(ctx.caller, record);
      moveToDeletedItems(ctx, record);
      const sp = ctx.tenant.servicePrincipalByAppId(String(record.data.appId));
      // deleting an application also deletes its service principal in the home tenant
      if (sp) moveToDeletedItems(ctx, sp);
      return { status: 204 };
    }
    throw Errors.methodNotAllowed();
  }

  const record = getApplication(ctx, key);
  const sub = actionName(rest[0]);
  if (sub === 'addPassword' && method === 'POST' && rest.length === 1) return addPassword(ctx, record);
  if (sub === 'removePassword' && method === 'POST' && rest.length === 1) return removePassword(ctx, record);
  if (sub === 'owners') return handleOwners(ctx, record, rest.slice(1));
  throw Errors.noRoute(sub ?? '');
}
