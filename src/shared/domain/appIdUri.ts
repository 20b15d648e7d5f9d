/**
 * The server app's App ID URI (identifierUris). Seeds 000/001/002 name exactly two recommended forms:
 *   api://{tenantId}/{string}              e.g. api://5e97358c-d99c-4558-af0c-de7774091dda/ConfigMgrService
 *   https://{verifiedCustomerDomain}/{string}  e.g. https://contoso.onmicrosoft.com/ConfigMgrService
 * and tell the reader to change the wizard's old default https://ConfigMgrService, which Microsoft Entra refuses
 * (its host is not a verified domain of the tenant).
 */
import type { ProblemItem } from './errors';
import { GUID_PATTERN } from './naming';

export const LEGACY_APP_ID_URI = 'https://ConfigMgrService';

export const APP_ID_URI_CODES = {
  LEGACY_DEFAULT: 'APP_ID_URI_LEGACY_DEFAULT',
  FORMAT: 'APP_ID_URI_FORMAT',
  TENANT_MISMATCH: 'APP_ID_URI_TENANT_MISMATCH',
  DOMAIN_NOT_VERIFIED: 'APP_ID_URI_DOMAIN_NOT_VERIFIED',
} as const;

/** One URI path segment: unreserved and sub-delimiter characters (no `*`), `:`, `@`, or percent-escapes. */
const SEGMENT = String.raw`(?:[A-Za-z0-9\-._~!$&'()+,;=:@]|%[0-9A-Fa-f]{2})+`;
const PATH = `${SEGMENT}(?:/${SEGMENT})*`;
const GUID = GUID_PATTERN.source.slice(1, -1);
/** A DNS name with at least two labels and an alphabetic (or punycode) top-level label. */
export const DOMAIN_NAME_SOURCE = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})`;
export const DOMAIN_NAME_PATTERN = new RegExp(`^(?=.{1,253}$)${DOMAIN_NAME_SOURCE}$`);

const API_FORM = new RegExp(`^api://(${GUID})/(${PATH})$`);
const HTTPS_FORM = new RegExp(`^https://(${DOMAIN_NAME_SOURCE})/(${PATH})$`);
/** Both forms, for the JSON Schema `pattern` (the tenant binding and the legacy refusal are checked in code). */
export const APP_ID_URI_PATTERN_SOURCE = `^(?:api://${GUID}|https://${DOMAIN_NAME_SOURCE})/${PATH}$`;

export type AppIdUriForm =
  | { readonly form: 'api'; readonly tenantId: string; readonly path: string }
  | { readonly form: 'https'; readonly host: string; readonly path: string };

export type AppIdUriParse =
  ({ readonly ok: true } & AppIdUriForm) | { readonly ok: false; readonly code: string; readonly message: string };

const RECOMMENDED =
  'Use api://{tenantId}/{string} (e.g. api://<your tenant id>/ConfigMgrService) or ' +
  'https://{verified domain}/{string} (e.g. https://contoso.onmicrosoft.com/ConfigMgrService).';

export function isLegacyAppIdUri(uri: string): boolean {
  return /^https:\/\/configmgrservice\/?$/i.test(uri.trim());
}

/** Classifies an App ID URI into one of the two recommended forms, or explains why it is neither. */
export function parseAppIdUri(uri: string): AppIdUriParse {
  if (isLegacyAppIdUri(uri)) {
    return {
      ok: false,
      code: APP_ID_URI_CODES.LEGACY_DEFAULT,
      message:
        `${LEGACY_APP_ID_URI} is Configuration Manager's old default App ID URI. Microsoft Entra refuses it ` +
        `because its host isn't a verified domain of the tenant. ${RECOMMENDED}`,
    };
  }
  const api = API_FORM.exec(uri);
  if (api) return { ok: true, form: 'api', tenantId: api[1]!.toLowerCase(), path: api[2]! };
  const https = HTTPS_FORM.exec(uri);
  if (https && https[1]!.length <= 253)
    return { ok: true, form: 'https', host: https[1]!.toLowerCase(), path: https[2]! };
  return {
    ok: false,
    code: APP_ID_URI_CODES.FORMAT,
    message: `The App ID URI must have one of the two recommended forms. ${RECOMMENDED}`,
  };
}

/** For the api:// form, the GUID must be this request's tenant id. */
export function checkAppIdUriTenant(
  uri: string,
  tenantId: string,
  field = '/serverApp/appIdUri',
): ProblemItem | undefined {
  const parsed = parseAppIdUri(uri);
  if (!parsed.ok || parsed.form !== 'api' || parsed.tenantId === tenantId.toLowerCase()) return undefined;
  return {
    field,
    code: APP_ID_URI_CODES.TENANT_MISMATCH,
    message: `The App ID URI names tenant ${parsed.tenantId}, but the request is for tenant ${tenantId.toLowerCase()}; use api://${tenantId.toLowerCase()}/${parsed.path}.`,
  };
}

/** A tenant domain as Graph returns it (`GET /domains`: id, isVerified). */
export interface TenantDomain {
  readonly id: string;
  readonly isVerified: boolean;
}

function isVerifiedDomain(host: string, domains: readonly TenantDomain[]): boolean {
  return domains.some((d) => d.isVerified && d.id.toLowerCase() === host.toLowerCase());
}

/**
 * For the https:// form, the host must be one of the tenant's verified domains (checked against Graph once the
 * request runs). The api:// form has no domain to check.
 */
export function checkAppIdUriDomain(
  uri: string,
  domains: readonly TenantDomain[],
  field = '/serverApp/appIdUri',
): ProblemItem | undefined {
  const parsed = parseAppIdUri(uri);
  if (!parsed.ok || parsed.form !== 'https' || isVerifiedDomain(parsed.host, domains)) return undefined;
  return {
    field,
    code: APP_ID_URI_CODES.DOMAIN_NOT_VERIFIED,
    message: `${parsed.host} is not a verified domain of the tenant; verified: ${
      domains
        .filter((d) => d.isVerified)
        .map((d) => d.id)
        .join(', ') || 'none'
    }.`,
  };
}

/** The tenant name (seed 000: as listed under Custom domain names, e.g. contoso.onmicrosoft.com) must be a verified domain. */
export function checkTenantNameDomain(
  tenantName: string,
  domains: readonly TenantDomain[],
  field = '/tenantName',
): ProblemItem | undefined {
  if (isVerifiedDomain(tenantName, domains)) return undefined;
  return {
    field,
    code: 'TENANT_NAME_NOT_A_VERIFIED_DOMAIN',
    message: `${tenantName} is not one of the tenant's verified domains (Microsoft Entra ID > Custom domain names).`,
  };
}
