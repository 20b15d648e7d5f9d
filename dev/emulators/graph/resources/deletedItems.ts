import { isoDate, type EntityRecord } from '../../directory';
import { canWrite, requireRole, Roles } from '../auth';
import type { GraphContext, GraphResponse } from '../context';
import { Errors } from '../errors';
import { actionName, type Segment } from '../router';
import { collectionResponse, contextUrl, render, typed } from './common';

/** Deleted applications and service principals stay restorable for 30 days. */
const RETENTION_MS = 30 * 24 * 3600 * 1000;

const TYPES: Record<string, 'application' | 'servicePrincipal'> = {
  'microsoft.graph.application': 'application',
  'microsoft.graph.servicePrincipal': 'servicePrincipal',
};

function purgeExpired(ctx: GraphContext): void {
  for (const [id, d] of ctx.tenant.deletedItems)
    if (ctx.now - d.deletedMs > RETENTION_MS) ctx.tenant.deletedItems.delete(id);
}

/**
 * Soft-deletes an application or service principal into `directory/deletedItems`. A deleted service principal's
 * app role assignments (either side) and delegated permission grants are removed with it.
 */
export function moveToDeletedItems(ctx: GraphContext, record: EntityRecord): void {
  const id = String(record.data.id).toLowerCase();
  ctx.tenant.collection(record.kind).delete(id);
  record.data = { ...record.data, deletedDateTime: isoDate(ctx.now) };
  ctx.tenant.deletedItems.set(id, { record, deletedMs: ctx.now });
  if (record.kind === 'servicePrincipal') {
    for (const [key, a] of ctx.tenant.appRoleAssignments) {
      const p = String(a.data.principalId).toLowerCase();
      const r = String(a.data.resourceId).toLowerCase();
      if (p === id || r === id) ctx.tenant.appRoleAssignments.delete(key);
    }
    for (const [key, g] of ctx.tenant.oauth2PermissionGrants) {
      if (String(g.data.clientId).toLowerCase() === id || String(g.data.resourceId).toLowerCase() === id) {
        ctx.tenant.oauth2PermissionGrants.delete(key);
      }
    }
  }
}

function typeName(record: EntityRecord): string {
  return `microsoft.graph.${record.kind}`;
}

function view(ctx: GraphContext, record: EntityRecord): EntityRecord {
  return record.kind === 'servicePrincipal' ? { ...record, data: ctx.tenant.servicePrincipalView(record) } : record;
}

function restore(ctx: GraphContext, record: EntityRecord): void {
  const t = ctx.tenant;
  if (record.kind === 'application' && typeof record.data.uniqueName === 'string') {
    const live = t.applicationByUniqueName(record.data.uniqueName);
    if (live) throw Errors.badRequest('Another object with the same value for property uniqueName already exists.');
  }
  if (record.kind === 'servicePrincipal' && t.servicePrincipalByAppId(String(record.data.appId))) {
    throw Errors.badRequest('Another object with the same value for property servicePrincipalNames already exists.');
  }
  const id = String(record.data.id).toLowerCase();
  t.deletedItems.delete(id);
  record.data = { ...record.data, deletedDateTime: null };
  record.replicatedAtMs = ctx.now + ctx.faults.lagMs();
  t.collection(record.kind).set(id, record);
}

/** Routes under `/directory/deletedItems`. */
export function handleDirectory(ctx: GraphContext, rest: Segment[]): GraphResponse {
  const [items, target, action] = rest;
  if (items?.name !== 'deletedItems') throw Errors.noRoute(items?.name ?? 'directory');
  purgeExpired(ctx);
  const method = ctx.request.method;
  const all = [...ctx.tenant.deletedItems.values()].map((d) => d.record);
  if (!target) {
    if (method !== 'GET') throw Errors.methodNotAllowed();
    requireRole(ctx.caller, Roles.readApplications);
    return collectionResponse(
      ctx,
      {
        type: 'microsoft.graph.directoryObject',
        resource: 'Application',
        contextPath: 'directoryObjects',
        filterable: ['id'],
        typedItems: true,
      },
      all.map((r) => view(ctx, r)),
    );
  }
  const cast = TYPES[target.name];
  if (cast && !action) {
    if (method !== 'GET') throw Errors.methodNotAllowed();
    requireRole(ctx.caller, Roles.readApplications);
    return collectionResponse(
      ctx,
      {
        type: target.name,
        resource: cast === 'application' ? 'Application' : 'ServicePrincipal',
        contextPath: `directory/deletedItems/${target.name}`,
        filterable: ['id', 'appId', 'displayName', 'uniqueName'],
        typedItems: true,
      },
      all.filter((r) => r.kind === cast).map((r) => view(ctx, r)),
    );
  }
  const deleted = ctx.tenant.deletedItems.get(target.name.toLowerCase());
  if (!deleted) throw Errors.notFound(target.name);
  const record = deleted.record;
  if (!action) {
    if (method === 'GET') {
      requireRole(ctx.caller, Roles.readApplications);
      return {
        status: 200,
        body: {
          '@odata.context': contextUrl(ctx, 'directoryObjects', undefined, true),
          ...typed(typeName(record), render(ctx, typeName(record), view(ctx, record))),
        },
      };
    }
    if (method === 'DELETE') {
      if (!canWrite(ctx.caller, record)) throw Errors.forbidden();
      ctx.tenant.deletedItems.delete(target.name.toLowerCase());
      if (record.kind === 'application') {
        for (const c of (record.data.passwordCredentials as { keyId?: string }[] | undefined) ?? []) {
          if (c.keyId) ctx.tenant.secrets.delete(c.keyId);
        }
      }
      return { status: 204 };
    }
    throw Errors.methodNotAllowed();
  }
  if (actionName(action) === 'restore' && method === 'POST') {
    if (!canWrite(ctx.caller, record)) throw Errors.forbidden();
    restore(ctx, record);
    return {
      status: 200,
      body: {
        '@odata.context': contextUrl(ctx, 'directoryObjects', undefined, true),
        ...typed(typeName(record), render(ctx, typeName(record), view(ctx, record))),
      },
    };
  }
  throw Errors.noRoute(action.name);
}
