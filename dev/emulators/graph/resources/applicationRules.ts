import type { EntityRecord, JsonObject, TenantDirectory } from '../../directory';
import { Errors } from '../errors';

const SIGN_IN_AUDIENCES = [
  'AzureADMyOrg',
  'AzureADMultipleOrgs',
  'AzureADandPersonalMicrosoftAccount',
  'PersonalMicrosoftAccount',
];

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function normaliseUri(uri: string): string {
  return uri.toLowerCase().replace(/\/+$/, '');
}

/**
 * Entra's App ID URI policy (enforced for new and changed URIs since October 2021): `api://{appId}`,
 * `api://{tenantId}/…`, `api://{anything}/{appId}`, `api://{verified domain}/…`, or http(s) on a verified domain
 * or its subdomain. Anything else is HostNameNotOnVerifiedDomain.
 */
export function checkIdentifierUri(uri: string, tenant: TenantDirectory, appId: string): void {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw Errors.invalidValue('identifierUris', 'Application');
  }
  const host = parsed.hostname.toLowerCase();
  if (parsed.protocol === 'api:') {
    const path = parsed.pathname.split('/').filter(Boolean);
    const ok =
      host === appId.toLowerCase() ||
      host === tenant.id.toLowerCase() ||
      path[path.length - 1]?.toLowerCase() === appId.toLowerCase() ||
      tenant.isOnVerifiedDomain(host);
    if (ok) return;
  } else if ((parsed.protocol === 'https:' || parsed.protocol === 'http:') && host && tenant.isOnVerifiedDomain(host)) {
    return;
  }
  throw Errors.hostNameNotOnVerifiedDomain(uri);
}

function allApplications(tenant: TenantDirectory): EntityRecord[] {
  return [
    ...tenant.applications.values(),
    ...[...tenant.deletedItems.values()].filter((d) => d.record.kind === 'application').map((d) => d.record),
  ];
}

/** identifierUris are unique in the tenant, soft-deleted applications included (they keep theirs for 30 days). */
export function checkIdentifierUrisUnique(tenant: TenantDirectory, uris: string[], selfId: string | undefined): void {
  const wanted = new Set(uris.map(normaliseUri));
  if (wanted.size !== uris.length) throw Errors.identifierUriConflict();
  for (const app of allApplications(tenant)) {
    if (app.data.id === selfId) continue;
    if (strings(app.data.identifierUris).some((u) => wanted.has(normaliseUri(u)))) throw Errors.identifierUriConflict();
  }
}

export function checkUniqueNameFree(tenant: TenantDirectory, uniqueName: string, selfId: string | undefined): void {
  const other = tenant.applicationByUniqueName(uniqueName);
  if (other && other.data.id !== selfId) {
    throw Errors.badRequest('Another object with the same value for property uniqueName already exists.', [
      {
        code: 'ObjectConflict',
        message: 'Another object with the same value for property uniqueName already exists.',
        target: 'uniqueName',
      },
    ]);
  }
}

function checkRedirectUris(uris: string[], property: string, allowCustomSchemes: boolean): void {
  for (const uri of uris) {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw Errors.invalidValue(property, 'Application');
    }
    const local = u.hostname === 'localhost' || u.hostname === '127.0.0.1';
    if (uri.length > 256 || uri.includes('*')) throw Errors.invalidValue(property, 'Application');
    if (u.protocol === 'https:') continue;
    if (u.protocol === 'http:' && local) continue;
    if (allowCustomSchemes && u.protocol !== 'http:') continue;
    throw Errors.invalidValue(property, 'Application');
  }
}

type Entitlement = JsonObject & { id?: unknown; isEnabled?: unknown };

function entitlements(value: unknown): Entitlement[] {
  return Array.isArray(value) ? (value as Entitlement[]) : [];
}

function sameExceptEnabled(a: Entitlement, b: Entitlement): boolean {
  const strip = (e: Entitlement): string =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(e)
          .filter(([k]) => k !== 'isEnabled')
          .sort(([x], [y]) => x.localeCompare(y)),
      ),
    );
  return strip(a) === strip(b);
}

/**
 * Entra refuses to delete or change an enabled scope or app role: it must be disabled (isEnabled false) first,
 * in an earlier write.
 */
function checkEntitlementChanges(before: Entitlement[], after: Entitlement[], property: string): void {
  const ids = new Set<string>();
  const values = new Set<string>();
  for (const e of after) {
    if (typeof e.id !== 'string') throw Errors.invalidValue(property, 'Application');
    if (ids.has(e.id.toLowerCase())) throw Errors.invalidValue(property, 'Application');
    ids.add(e.id.toLowerCase());
    if (typeof e.value === 'string') {
      if (values.has(e.value)) throw Errors.invalidValue(property, 'Application');
      values.add(e.value);
    }
  }
  for (const old of before) {
    if (old.isEnabled === false) continue;
    const next = after.find((e) => String(e.id).toLowerCase() === String(old.id).toLowerCase());
    if (!next || !sameExceptEnabled(old, next)) throw Errors.enabledPermissionChanged();
  }
}

function checkRequiredResourceAccess(value: unknown): void {
  for (const rra of Array.isArray(value) ? (value as JsonObject[]) : []) {
    if (typeof rra.resourceAppId !== 'string' || !rra.resourceAppId) {
      throw Errors.invalidValue('requiredResourceAccess', 'Application');
    }
    for (const ra of Array.isArray(rra.resourceAccess) ? (rra.resourceAccess as JsonObject[]) : []) {
      if (ra.type !== 'Scope' && ra.type !== 'Role') throw Errors.invalidValue('requiredResourceAccess', 'Application');
      if (typeof ra.id !== 'string') throw Errors.invalidValue('requiredResourceAccess', 'Application');
    }
  }
}

/**
 * Entra's checks on an application write. `before` is the stored object ({} on create), `after` the result of
 * applying the body, `body` what the caller sent (rules apply to what changed).
 */
export function checkApplication(
  tenant: TenantDirectory,
  before: JsonObject,
  after: JsonObject,
  body: JsonObject,
  selfId: string | undefined,
): void {
  const appId = typeof after.appId === 'string' ? after.appId : '';
  if ('displayName' in body && (typeof body.displayName !== 'string' || !body.displayName.trim())) {
    throw Errors.invalidValue('displayName', 'Application');
  }
  if ('signInAudience' in body && !SIGN_IN_AUDIENCES.includes(String(body.signInAudience))) {
    throw Errors.invalidValue('signInAudience', 'Application');
  }
  if ('identifierUris' in body) {
    const uris = strings(after.identifierUris);
    const previous = new Set(strings(before.identifierUris).map(normaliseUri));
    for (const uri of uris) if (!previous.has(normaliseUri(uri))) checkIdentifierUri(uri, tenant, appId);
    checkIdentifierUrisUnique(tenant, uris, selfId);
  }
  if (typeof body.uniqueName === 'string') checkUniqueNameFree(tenant, body.uniqueName, selfId);
  const web = (after.web ?? {}) as JsonObject;
  const spa = (after.spa ?? {}) as JsonObject;
  const publicClient = (after.publicClient ?? {}) as JsonObject;
  if (body.web) checkRedirectUris(strings(web.redirectUris), 'web.redirectUris', false);
  if (body.spa) checkRedirectUris(strings(spa.redirectUris), 'spa.redirectUris', false);
  if (body.publicClient) checkRedirectUris(strings(publicClient.redirectUris), 'publicClient.redirectUris', true);
  const beforeApi = (before.api ?? {}) as JsonObject;
  const afterApi = (after.api ?? {}) as JsonObject;
  if (body.api && 'oauth2PermissionScopes' in (body.api as JsonObject)) {
    checkEntitlementChanges(
      entitlements(beforeApi.oauth2PermissionScopes),
      entitlements(afterApi.oauth2PermissionScopes),
      'api.oauth2PermissionScopes',
    );
  }
  if ('appRoles' in body)
    checkEntitlementChanges(entitlements(before.appRoles), entitlements(after.appRoles), 'appRoles');
  if ('requiredResourceAccess' in body) checkRequiredResourceAccess(after.requiredResourceAccess);
}
