/**
 * Microsoft Graph's well-known identifiers (REFERENCE.md §2) and a pure resolver that reads the same ids from
 * Graph's own service principal, which is the safer source at run time.
 */
import { DomainInvariantError } from './errors';

/** appId of the Microsoft Graph first-party application (the same in every cloud). */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Application permission (app role) Directory.Read.All on Microsoft Graph. */
export const DIRECTORY_READ_ALL_ROLE_ID = '7ab1d382-f21e-4acd-a863-ba3e13f7da61';
export const DIRECTORY_READ_ALL = 'Directory.Read.All';
/** Delegated permission (scope) User.Read on Microsoft Graph. */
export const USER_READ_SCOPE_ID = 'e1fe6dd8-ba31-4d61-89e7-88639da4683d';
export const USER_READ = 'User.Read';

/** resourceAccess.type for an application permission (app role). */
export const RESOURCE_ACCESS_ROLE = 'Role';
/** resourceAccess.type for a delegated permission (scope). */
export const RESOURCE_ACCESS_SCOPE = 'Scope';

export interface GraphPermissionIds {
  readonly graphAppId: string;
  readonly directoryReadAllRoleId: string;
  readonly userReadScopeId: string;
}

export const WELL_KNOWN_GRAPH_PERMISSION_IDS: GraphPermissionIds = Object.freeze({
  graphAppId: MICROSOFT_GRAPH_APP_ID,
  directoryReadAllRoleId: DIRECTORY_READ_ALL_ROLE_ID,
  userReadScopeId: USER_READ_SCOPE_ID,
});

/** The parts of Graph's own servicePrincipal the resolver reads (`GET /servicePrincipals(appId='00000003-…')`). */
export interface GraphServicePrincipalPermissions {
  readonly appId?: string | null;
  readonly appRoles?: readonly { readonly id?: string | null; readonly value?: string | null }[] | null;
  readonly oauth2PermissionScopes?: readonly { readonly id?: string | null; readonly value?: string | null }[] | null;
}

/** Reads Directory.Read.All and User.Read ids from Graph's service principal; throws if either is missing. */
export function resolveGraphPermissionIds(sp: GraphServicePrincipalPermissions): GraphPermissionIds {
  if (sp.appId?.toLowerCase() !== MICROSOFT_GRAPH_APP_ID) {
    throw new DomainInvariantError(
      'GRAPH_SP_MISMATCH',
      `Expected Microsoft Graph's service principal, got appId ${String(sp.appId)}.`,
    );
  }
  const role = sp.appRoles?.find((r) => r.value === DIRECTORY_READ_ALL)?.id;
  const scope = sp.oauth2PermissionScopes?.find((s) => s.value === USER_READ)?.id;
  if (!role || !scope) {
    throw new DomainInvariantError(
      'GRAPH_PERMISSION_NOT_FOUND',
      `Microsoft Graph's service principal lacks ${!role ? DIRECTORY_READ_ALL : USER_READ}.`,
    );
  }
  return {
    graphAppId: MICROSOFT_GRAPH_APP_ID,
    directoryReadAllRoleId: role.toLowerCase(),
    userReadScopeId: scope.toLowerCase(),
  };
}
