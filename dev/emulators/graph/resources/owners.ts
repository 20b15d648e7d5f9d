import type { EntityRecord, JsonObject } from '../../directory';
import { requireRole, requireWrite, Roles } from '../auth';
import { bodyObject, visibleOrNotFound, type GraphContext, type GraphResponse } from '../context';
import { Errors } from '../errors';
import type { Segment } from '../router';
import { collectionResponse, referencedId } from './common';

/**
 * `{object}/owners` (GET), `{object}/owners/$ref` (POST `{"@odata.id": ".../directoryObjects/{id}"}`) and
 * `{object}/owners/{id}/$ref` (DELETE). Owners here are service principals (the emulator has no users).
 */
export function handleOwners(ctx: GraphContext, target: EntityRecord, rest: Segment[]): GraphResponse {
  const method = ctx.request.method;
  const [ref] = rest;
  if (!ref && method === 'GET') {
    requireRole(ctx.caller, Roles.readApplications);
    const owners = target.owners
      .map((id) => ctx.tenant.directoryObject(id))
      .filter((r): r is EntityRecord => r !== undefined);
    const views = owners.map((r) =>
      r.kind === 'servicePrincipal' ? { ...r, data: ctx.tenant.servicePrincipalView(r) } : r,
    );
    return collectionResponse(
      ctx,
      {
        type: 'microsoft.graph.directoryObject',
        resource: 'ServicePrincipal',
        contextPath: 'directoryObjects',
        filterable: ['id'],
        typedItems: true,
      },
      views,
    );
  }
  if (ref?.name === '$ref' && method === 'POST') {
    requireWrite(ctx.caller, target);
    const body = bodyObject(ctx);
    const id = referencedId(body['@odata.id']);
    if (!id) throw Errors.badRequest("The request body must contain '@odata.id'.");
    const owner = visibleOrNotFound(ctx, ctx.tenant.directoryObject(id), id);
    if (target.owners.some((o) => o.toLowerCase() === id.toLowerCase())) throw Errors.ownerExists();
    target.owners.push(String(owner.data.id));
    return { status: 204 };
  }
  if (ref && rest[1]?.name === '$ref' && method === 'DELETE') {
    requireWrite(ctx.caller, target);
    const id = ref.name;
    const index = target.owners.findIndex((o) => o.toLowerCase() === id.toLowerCase());
    if (index < 0) throw Errors.notFound(id);
    target.owners.splice(index, 1);
    return { status: 204 };
  }
  throw Errors.methodNotAllowed();
}

/** Resolves `owners@odata.bind` on create: every referenced object must exist and be replicated. */
export function boundOwners(ctx: GraphContext, body: JsonObject): string[] {
  const refs = body['owners@odata.bind'];
  if (refs === undefined) return [];
  if (!Array.isArray(refs)) throw Errors.badRequest("The value of 'owners@odata.bind' must be an array of URLs.");
  return refs.map((url) => {
    const id = referencedId(url);
    if (!id) throw Errors.badRequest(`Invalid reference '${String(url)}'.`);
    return String(visibleOrNotFound(ctx, ctx.tenant.directoryObject(id), id).data.id);
  });
}
