import type { CallerIdentity } from './roles';

/**
 * App Service Authentication ("Easy Auth") validates the caller's token in front of the app and passes the
 * principal as `X-MS-CLIENT-PRINCIPAL`: base64 of `{ auth_typ, name_typ, role_typ, claims: [{ typ, val }] }`. App
 * Service strips any such header a client sends, so it is trusted only when the setting says Easy Auth is on.
 */
export const CLIENT_PRINCIPAL_HEADER = 'x-ms-client-principal';

const OID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const TID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/tenantid', 'tid'];
const APPID_CLAIMS = ['appid', 'azp'];
const NAME_CLAIMS = ['name', 'preferred_username', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'];

interface RawPrincipal {
  auth_typ?: unknown;
  role_typ?: unknown;
  claims?: unknown;
}

/** Parses the header; undefined when it is not a well-formed principal with an object id and a tenant id. */
export function parseClientPrincipal(header: string): CallerIdentity | undefined {
  if (header.length > 16_384 || !/^[A-Za-z0-9+/=_-]+$/.test(header)) return undefined;
  let raw: RawPrincipal;
  try {
    raw = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as RawPrincipal;
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.claims)) return undefined;
  const claims = raw.claims
    .filter(
      (c): c is { typ: string; val: string } =>
        !!c &&
        typeof c === 'object' &&
        typeof (c as { typ?: unknown }).typ === 'string' &&
        typeof (c as { val?: unknown }).val === 'string',
    )
    .map((c) => ({ typ: c.typ.toLowerCase(), val: c.val }));
  const first = (types: string[]): string | undefined =>
    claims.find((c) => types.some((t) => t.toLowerCase() === c.typ))?.val;
  const roleType = typeof raw.role_typ === 'string' ? raw.role_typ.toLowerCase() : 'roles';
  const roles = claims.filter((c) => c.typ === roleType || c.typ === 'roles').map((c) => c.val);
  const oid = first(OID_CLAIMS);
  const tid = first(TID_CLAIMS);
  if (!oid || !tid) return undefined;
  const appId = first(APPID_CLAIMS);
  const name = first(NAME_CLAIMS);
  return {
    kind: 'appServiceAuth',
    id: oid,
    tenantId: tid.toLowerCase(),
    ...(appId ? { appId } : {}),
    ...(name ? { name } : {}),
    roles: [...new Set(roles)],
  };
}
