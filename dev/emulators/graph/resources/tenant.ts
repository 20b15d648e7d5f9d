import { isoDate } from '../../directory';
import { hasAny, Roles } from '../auth';
import { visibleOrNotFound, type GraphContext, type GraphResponse } from '../context';
import { Errors } from '../errors';
import type { KeyExpr, Segment } from '../router';
import { contextUrl, render, typed } from './common';

/** `GET /directoryObjects/{id}`: an application or service principal, with its `@odata.type`. */
export function directoryObjectById(ctx: GraphContext, id: string): GraphResponse {
  if (!hasAny(ctx.caller, Roles.readApplications)) throw Errors.forbidden();
  const record = visibleOrNotFound(ctx, ctx.tenant.directoryObject(id), id);
  const type = `microsoft.graph.${record.kind}`;
  const data = record.kind === 'servicePrincipal' ? ctx.tenant.servicePrincipalView(record) : record.data;
  return {
    status: 200,
    body: {
      '@odata.context': contextUrl(ctx, 'directoryObjects', undefined, true),
      ...typed(type, render(ctx, type, { ...record, data })),
    },
  };
}

/**
 * `GET /organization`: the tenant's id, name and verified domains (a reduced organization object; the
 * emulator has no schema for the rest). Needs Organization.Read.All or Directory.Read(Write).All.
 */
export function handleOrganization(ctx: GraphContext, key: KeyExpr | undefined, rest: Segment[]): GraphResponse {
  if (ctx.request.method !== 'GET' || rest.length) throw Errors.methodNotAllowed();
  if (
    !hasAny(ctx.caller, [
      'Organization.Read.All',
      'Organization.ReadWrite.All',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ])
  ) {
    throw Errors.forbidden();
  }
  const t = ctx.tenant;
  if (key && key.value.toLowerCase() !== t.id) throw Errors.notFound(key.value);
  const org = {
    id: t.id,
    deletedDateTime: null,
    createdDateTime: isoDate(0),
    displayName: t.displayName,
    tenantType: 'AAD',
    verifiedDomains: t.domains.map((name, i) => ({
      capabilities: i === 0 ? 'Email, OfficeCommunicationsOnline' : 'Email',
      isDefault: i === 0,
      isInitial: i === 0,
      name,
      type: 'Managed',
    })),
  };
  return key
    ? { status: 200, body: { '@odata.context': contextUrl(ctx, 'organization', undefined, true), ...org } }
    : { status: 200, body: { '@odata.context': contextUrl(ctx, 'organization'), value: [org] } };
}
