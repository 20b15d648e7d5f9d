import type { Directory, EntityRecord, TenantDirectory } from '../directory';
import { GRAPH_RESOURCE_IDS } from '../directory';
import { TokenValidationError, type AccessTokenClaims, type TokenIssuer } from '../entra/tokens';
import { Errors, GraphError } from './errors';

/** The app calling Graph, from its access token. */
export interface Caller {
  tenant: TenantDirectory;
  appId: string;
  /** Object id of the caller's service principal (the token's `oid`). */
  servicePrincipalId: string;
  roles: ReadonlySet<string>;
  claims: AccessTokenClaims;
}

const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

function unauthorized(message: string): GraphError {
  return new GraphError(401, 'InvalidAuthenticationToken', message, undefined, {
    'www-authenticate': WWW_AUTHENTICATE,
  });
}

/**
 * Checks the bearer token as Graph does (signature, issuer, lifetime, audience = one of Graph's resource ids in any
 * cloud) and finds the caller's tenant from `tid`.
 */
export async function authenticate(
  authorization: string | undefined,
  issuer: TokenIssuer,
  directory: Directory,
): Promise<Caller> {
  const match = /^Bearer\s+(.*)$/i.exec(authorization ?? '');
  const token = match?.[1]?.trim() ?? '';
  let claims: AccessTokenClaims;
  try {
    claims = await issuer.verify(token, GRAPH_RESOURCE_IDS);
  } catch (err) {
    if (err instanceof TokenValidationError) throw unauthorized(err.message);
    throw err;
  }
  const tenant = directory.tenants.get(String(claims.tid).toLowerCase());
  if (!tenant) throw unauthorized('Access token validation failure. Invalid issuer.');
  return {
    tenant,
    appId: claims.appid,
    servicePrincipalId: claims.oid,
    roles: new Set(claims.roles ?? []),
    claims,
  };
}

/** Microsoft Graph application permissions the emulator enforces. */
export const Roles = {
  /** Reading applications and service principals (OwnedBy may list all of them: documented). */
  readApplications: [
    'Application.Read.All',
    'Application.ReadWrite.All',
    'Application.ReadWrite.OwnedBy',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  writeAllApplications: ['Application.ReadWrite.All'],
  ownedApplications: 'Application.ReadWrite.OwnedBy',
  appRoleAssignments: ['AppRoleAssignment.ReadWrite.All'],
  writeGrants: ['DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All'],
  readGrants: [
    'DelegatedPermissionGrant.Read.All',
    'DelegatedPermissionGrant.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
} as const;

export function hasAny(caller: Caller, roles: readonly string[]): boolean {
  return roles.some((r) => caller.roles.has(r));
}

export function requireRole(caller: Caller, roles: readonly string[]): void {
  if (!hasAny(caller, roles)) throw Errors.forbidden();
}

/** Whether the caller may create applications (and, with OwnedBy, becomes their owner). */
export function canCreateApplications(caller: Caller): boolean {
  return hasAny(caller, Roles.writeAllApplications) || caller.roles.has(Roles.ownedApplications);
}

/** Whether the caller may change this application or service principal. */
export function canWrite(caller: Caller, record: EntityRecord): boolean {
  if (hasAny(caller, Roles.writeAllApplications)) return true;
  return caller.roles.has(Roles.ownedApplications) && record.owners.includes(caller.servicePrincipalId);
}

export function requireWrite(caller: Caller, record: EntityRecord): void {
  if (!canWrite(caller, record)) throw Errors.forbidden();
}
