import { DomainError } from '../domain';

/** Provisioning policy, pure: which tenants may be provisioned at all. */
export interface IntakePolicy {
  /** Lowercase GUIDs (ALLOWED_TENANT_IDS). Empty = no tenant may be provisioned. */
  readonly allowedTenantIds: readonly string[];
}

/** 403: the request's tenant is not on the allowlist. Raised before anything is written. */
export class TenantNotAllowedError extends DomainError {
  constructor(tenantId: string) {
    super({
      code: 'TENANT_NOT_ALLOWED',
      status: 403,
      title: 'Tenant not allowed',
      detail: `Tenant '${tenantId}' is not on this service's allowlist of tenants that may be provisioned.`,
      errors: [
        {
          field: '/tenantId',
          rule: 'tenantAllowlist',
          code: 'TENANT_NOT_ALLOWED',
          message: 'not on the allowlist (ALLOWED_TENANT_IDS)',
        },
      ],
    });
  }
}

export function isTenantAllowed(tenantId: string, policy: IntakePolicy): boolean {
  const t = tenantId.toLowerCase();
  return policy.allowedTenantIds.some((a) => a.toLowerCase() === t);
}

export function assertTenantAllowed(tenantId: string, policy: IntakePolicy): void {
  if (!isTenantAllowed(tenantId, policy)) throw new TenantNotAllowedError(tenantId);
}

/**
 * 422, terminal in the serverApp step: an https:// App ID URI whose host is not one of the target tenant's verified
 * domains (or a subdomain of one, which Entra accepts too), as Graph's `GET /organization` lists them.
 */
export class AppIdUriDomainNotVerifiedError extends DomainError {
  constructor(host: string, verified: readonly string[]) {
    super({
      code: 'APP_ID_URI_DOMAIN_NOT_VERIFIED',
      status: 422,
      title: 'App ID URI domain not verified in the tenant',
      detail:
        `The App ID URI's host '${host}' is not a verified domain of the tenant ` +
        `(verified: ${verified.join(', ') || 'none'}); Entra would refuse it (HostNameNotOnVerifiedDomain). ` +
        'Use api://{tenantId}/… or https://{verified domain}/….',
    });
  }
}

/** Whether `host` is one of `verifiedDomains` or a subdomain of one (case-insensitive). Pure. */
export function isOnVerifiedDomain(host: string, verifiedDomains: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return verifiedDomains.some((d) => {
    const v = d.toLowerCase();
    return v !== '' && (h === v || h.endsWith(`.${v}`));
  });
}
