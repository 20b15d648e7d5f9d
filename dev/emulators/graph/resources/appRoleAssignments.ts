import { isoDate, newAppRoleAssignmentId, type EntityRecord, type JsonObject } from '../../directory';
import { hasAny, requireRole, Roles } from '../auth';
import { bodyObject, isVisible, visibleOrNotFound, type GraphContext, type GraphResponse } from '../context';
import { Errors } from '../errors';
import type { Segment } from '../router';
import { collectionResponse, entityResponse } from './common';

export const APP_ROLE_ASSIGNMENT = 'microsoft.graph.appRoleAssignment';
/** The "default access" role every resource accepts. */
const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';

const READ_ROLES = [...Roles.readApplications, ...Roles.appRoleAssignments];

/**
 * A referenced service principal. One that is still replicating makes Graph refuse the link with
 * 400 "Not a valid reference update."; one that does not exist is 404.
 */
function referenced(ctx: GraphContext, id: string): EntityRecord {
  const sp = ctx.tenant.servicePrincipals.get(id.toLowerCase());
  if (!sp) throw Errors.notFound(id);
  if (!isVisible(ctx, sp)) {
    ctx.lagHit = true;
    throw Errors.invalidReferenceUpdate();
  }
  return sp;
}

function create(
  ctx: GraphContext,
  anchor: EntityRecord,
  side: 'appRoleAssignedTo' | 'appRoleAssignments',
): EntityRecord {
  requireRole(ctx.caller, Roles.appRoleAssignments);
  const body = bodyObject(ctx);
  ctx.schema.validate(body, APP_ROLE_ASSIGNMENT);
  for (const key of [
    'id',
    'createdDateTime',
    'deletedDateTime',
    'principalDisplayName',
    'principalType',
    'resourceDisplayName',
  ]) {
    if (key in body) throw Errors.readOnly(key);
  }
  const principalId = typeof body.principalId === 'string' ? body.principalId : undefined;
  const resourceId = typeof body.resourceId === 'string' ? body.resourceId : undefined;
  const appRoleId = typeof body.appRoleId === 'string' ? body.appRoleId : undefined;
  if (!principalId) throw Errors.invalidValue('principalId', 'AppRoleAssignment');
  if (!resourceId) throw Errors.invalidValue('resourceId', 'AppRoleAssignment');
  if (!appRoleId) throw Errors.invalidValue('appRoleId', 'AppRoleAssignment');
  const anchorId = String(anchor.data.id).toLowerCase();
  if (side === 'appRoleAssignedTo' && resourceId.toLowerCase() !== anchorId) {
    throw Errors.invalidValue('resourceId', 'AppRoleAssignment');
  }
  if (side === 'appRoleAssignments' && principalId.toLowerCase() !== anchorId) {
    throw Errors.invalidValue('principalId', 'AppRoleAssignment');
  }
  const principal = side === 'appRoleAssignments' ? anchor : referenced(ctx, principalId);
  const resource = side === 'appRoleAssignedTo' ? anchor : referenced(ctx, resourceId);
  const resourceView = ctx.tenant.servicePrincipalView(resource);
  const roles = Array.isArray(resourceView.appRoles) ? (resourceView.appRoles as JsonObject[]) : [];
  const role = roles.find((r) => String(r.id).toLowerCase() === appRoleId.toLowerCase());
  const allowed = Array.isArray(role?.allowedMemberTypes) ? (role.allowedMemberTypes as string[]) : [];
  if (appRoleId !== DEFAULT_ACCESS && (!role || !allowed.includes('Application'))) {
    throw Errors.badRequest(`Permission being assigned was not found on application '${String(resourceView.appId)}'.`);
  }
  const duplicate = [...ctx.tenant.appRoleAssignments.values()].some(
    (a) =>
      String(a.data.principalId).toLowerCase() === principalId.toLowerCase() &&
      String(a.data.resourceId).toLowerCase() === resourceId.toLowerCase() &&
      String(a.data.appRoleId).toLowerCase() === appRoleId.toLowerCase(),
  );
  if (duplicate) throw Errors.duplicateAppRoleAssignment();
  const id = newAppRoleAssignmentId();
  const record: EntityRecord = {
    kind: 'appRoleAssignment',
    data: {
      id,
      appRoleId: appRoleId.toLowerCase(),
      createdDateTime: isoDate(ctx.now),
      deletedDateTime: null,
      principalDisplayName: principal.data.displayName ?? null,
      principalId: String(principal.data.id),
      principalType: 'ServicePrincipal',
      resourceDisplayName: resource.data.displayName ?? null,
      resourceId: String(resource.data.id),
    },
    createdMs: ctx.now,
    replicatedAtMs: ctx.now + ctx.faults.lagMs(),
    owners: [],
  };
  ctx.tenant.appRoleAssignments.set(id.toLowerCase(), record);
  return record;
}

/**
 * `servicePrincipals/{id}/appRoleAssignedTo` (assignments *to* this resource) and `.../appRoleAssignments`
 * (assignments *held by* this principal): GET, POST, GET/DELETE by id. Writes need AppRoleAssignment.ReadWrite.All.
 */
export function handleAssignments(
  ctx: GraphContext,
  anchor: EntityRecord,
  side: 'appRoleAssignedTo' | 'appRoleAssignments',
  rest: Segment[],
): GraphResponse {
  const method = ctx.request.method;
  const anchorId = String(anchor.data.id).toLowerCase();
  const field = side === 'appRoleAssignedTo' ? 'resourceId' : 'principalId';
  const mine = (): EntityRecord[] =>
    [...ctx.tenant.appRoleAssignments.values()].filter((a) => String(a.data[field]).toLowerCase() === anchorId);
  const spec = {
    type: APP_ROLE_ASSIGNMENT,
    resource: 'AppRoleAssignment' as const,
    contextPath: `servicePrincipals('${String(anchor.data.id)}')/${side}`,
    filterable: ['principalId', 'resourceId', 'appRoleId', 'principalType'],
  };
  const [target] = rest;
  if (!target) {
    if (method === 'GET') {
      requireRole(ctx.caller, READ_ROLES);
      return collectionResponse(ctx, spec, mine());
    }
    if (method === 'POST') return entityResponse(ctx, spec, create(ctx, anchor, side), 201);
    throw Errors.methodNotAllowed();
  }
  if (rest.length > 1) throw Errors.noRoute(rest[1]?.name ?? '');
  const assignment = mine().find((a) => String(a.data.id) === target.name);
  if (method === 'GET') {
    requireRole(ctx.caller, READ_ROLES);
    return entityResponse(ctx, spec, visibleOrNotFound(ctx, assignment, target.name));
  }
  if (method === 'DELETE') {
    if (!hasAny(ctx.caller, Roles.appRoleAssignments)) throw Errors.forbidden();
    if (!assignment) throw Errors.notFound(target.name);
    ctx.tenant.appRoleAssignments.delete(String(assignment.data.id).toLowerCase());
    return { status: 204 };
  }
  throw Errors.methodNotAllowed();
}
