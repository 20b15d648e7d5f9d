import { DomainError } from '../domain';

/**
 * The API's app roles (defined on the API app registration, assigned to caller apps or users). Roles are exact:
 * holding `Registrations.Admin` does not imply `Registrations.Read`; give a caller every role it needs.
 */
export const API_ROLES = Object.freeze({
  /** The ITSM system: submit tickets. */
  submit: 'Registrations.Submit',
  /** Admins and the ITSM system: read status, lists and the audit trail. */
  read: 'Registrations.Read',
  /** Admins: retry, reconcile, renew, confirm, decommission. */
  admin: 'Registrations.Admin',
});

export type ApiRole = (typeof API_ROLES)[keyof typeof API_ROLES];

export const ALL_API_ROLES: readonly ApiRole[] = Object.values(API_ROLES);

/** Who made a call or a change. `system:pipeline` is the queue workers. */
export interface CallerIdentity {
  /** How the identity was established. */
  readonly kind: 'entraToken' | 'appServiceAuth' | 'system';
  /** Stable id: the token's `oid` (object id of the calling service principal or user), or `system:pipeline`. */
  readonly id: string;
  /** Client id of the calling app (`appid`/`azp`), when known. */
  readonly appId?: string;
  /** The caller's tenant (`tid`). */
  readonly tenantId?: string;
  /** A display name (`name`, `preferred_username` or `upn`) when the token has one. */
  readonly name?: string;
  readonly roles: readonly string[];
}

export const SYSTEM_PIPELINE: CallerIdentity = Object.freeze({ kind: 'system', id: 'system:pipeline', roles: [] });

/** A short, log- and audit-safe label: `app:{appId} oid:{oid}` or `user:{name} oid:{oid}`. Never a secret. */
export function callerLabel(caller: CallerIdentity): string {
  if (caller.kind === 'system') return caller.id;
  const who = caller.name ? `name:${caller.name}` : caller.appId ? `app:${caller.appId}` : 'unknown';
  return `${who} oid:${caller.id}`;
}

export function hasRole(caller: CallerIdentity, role: ApiRole): boolean {
  return caller.roles.includes(role);
}

/** 401: no identity, or one that can't be trusted (bad signature, issuer, audience, tenant, expired). */
export class AuthenticationError extends DomainError {
  constructor(detail: string, cause?: unknown) {
    super({ code: 'UNAUTHENTICATED', status: 401, title: 'Authentication required', detail, cause });
  }
}

/** 403: a known caller without the app role the operation needs. */
export class AuthorizationError extends DomainError {
  constructor(role: ApiRole) {
    super({
      code: 'FORBIDDEN_ROLE',
      status: 403,
      title: 'Missing app role',
      detail: `This operation needs the app role '${role}'.`,
    });
  }
}

/** Throws AuthorizationError unless the caller holds `role`. */
export function authorize(caller: CallerIdentity, role: ApiRole): void {
  if (!hasRole(caller, role)) throw new AuthorizationError(role);
}
