/**
 * Compares the app registrations, service principals and consents read back from Graph with what the seeds
 * require, and lists every deviation. Used by the verify step, by the import action (apps someone created by hand
 * following seed 000) and by drift repair (each rule names the step whose write repairs it). Empty list = compliant.
 */
import {
  DIRECTORY_READ_ALL,
  RESOURCE_ACCESS_ROLE,
  RESOURCE_ACCESS_SCOPE,
  USER_READ,
  WELL_KNOWN_GRAPH_PERMISSION_IDS,
  type GraphPermissionIds,
} from './graphIds';
import {
  CONSENT_TYPE_ALL_PRINCIPALS,
  SCOPE_TYPE_ADMINS_AND_USERS,
  SERVER_PUBLIC_CLIENT_REDIRECT_URIS,
  SIGN_IN_AUDIENCE,
  USER_IMPERSONATION,
  adminConsentDescription,
  adminConsentDisplayName,
  brokerRedirectUri,
} from './manifests';
import { userImpersonationScopeId } from './naming';
import { STEP_NAMES, type StepName } from './pipeline';
import type { RegistrationRequest } from './registrationRequest';
import { SERVICE_CATALOG, type Action } from './serviceCatalog';

// ---- What Graph returns (only the properties compared; nullable as Graph sends them) ----

export interface ObservedPermissionScope {
  readonly id?: string | null;
  readonly value?: string | null;
  readonly type?: string | null;
  readonly isEnabled?: boolean | null;
  readonly adminConsentDisplayName?: string | null;
  readonly adminConsentDescription?: string | null;
}

export interface ObservedRequiredResourceAccess {
  readonly resourceAppId?: string | null;
  readonly resourceAccess?: readonly { readonly id?: string | null; readonly type?: string | null }[] | null;
}

export interface ObservedApplication {
  readonly id: string;
  readonly appId: string;
  readonly displayName?: string | null;
  readonly signInAudience?: string | null;
  readonly identifierUris?: readonly string[] | null;
  readonly isFallbackPublicClient?: boolean | null;
  readonly web?: {
    readonly homePageUrl?: string | null;
    readonly implicitGrantSettings?: { readonly enableIdTokenIssuance?: boolean | null } | null;
  } | null;
  readonly publicClient?: { readonly redirectUris?: readonly string[] | null } | null;
  readonly api?: { readonly oauth2PermissionScopes?: readonly ObservedPermissionScope[] | null } | null;
  readonly requiredResourceAccess?: readonly ObservedRequiredResourceAccess[] | null;
  readonly passwordCredentials?:
    | readonly {
        readonly keyId?: string | null;
        readonly displayName?: string | null;
        readonly endDateTime?: string | null;
      }[]
    | null;
}

export interface ObservedServicePrincipal {
  readonly id: string;
  readonly appId?: string | null;
  readonly accountEnabled?: boolean | null;
}

export interface ObservedAppRoleAssignment {
  readonly principalId?: string | null;
  readonly resourceId?: string | null;
  readonly appRoleId?: string | null;
}

export interface ObservedPermissionGrant {
  readonly clientId?: string | null;
  readonly consentType?: string | null;
  readonly resourceId?: string | null;
  readonly scope?: string | null;
}

export interface ObservedRegistration {
  readonly serverApp?: ObservedApplication;
  readonly clientApp?: ObservedApplication;
  readonly serverServicePrincipal?: ObservedServicePrincipal;
  readonly clientServicePrincipal?: ObservedServicePrincipal;
  /** Object id of Microsoft Graph's service principal in the tenant. */
  readonly graphServicePrincipalId: string;
  /** App role assignments held by the server app's service principal (its appRoleAssignments). */
  readonly appRoleAssignments: readonly ObservedAppRoleAssignment[];
  /** Delegated grants whose clientId is the client app's service principal. */
  readonly oauth2PermissionGrants: readonly ObservedPermissionGrant[];
}

// ---- What is required ----

export interface RegistrationRequirements {
  readonly action: Action;
  readonly requestId: string;
  readonly userDiscovery: boolean;
  readonly nativeApp: boolean;
  readonly graph: GraphPermissionIds;
  readonly server: {
    readonly displayName: string;
    readonly appIdUri: string;
    readonly homePageUrl: string;
    readonly appId?: string;
  };
  readonly client?: { readonly displayName: string; readonly appId?: string };
}

export function requirementsFor(
  request: RegistrationRequest,
  requestId: string,
  graph: GraphPermissionIds = WELL_KNOWN_GRAPH_PERMISSION_IDS,
): RegistrationRequirements {
  const nativeApp = SERVICE_CATALOG[request.service].nativeApp;
  const { displayName, appIdUri, homePageUrl, userDiscovery, appId } = request.serverApp;
  return {
    action: request.action,
    requestId,
    userDiscovery,
    nativeApp,
    graph,
    server: { displayName, appIdUri, homePageUrl, ...(appId === undefined ? {} : { appId }) },
    ...(nativeApp && request.clientApp !== undefined ? { client: request.clientApp } : {}),
  };
}

// ---- Rules ----

export type DeviationObject =
  | 'serverApp'
  | 'clientApp'
  | 'serverServicePrincipal'
  | 'clientServicePrincipal'
  | 'directoryReadAllConsent'
  | 'userImpersonationConsent'
  | 'graphUserReadConsent';

/** Every verification rule, with the object it concerns and the pipeline step whose write repairs it. */
export const VERIFY_RULES = Object.freeze({
  SERVER_APP_PRESENT: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_APP_ID: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_DISPLAY_NAME: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_SIGN_IN_AUDIENCE: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_IDENTIFIER_URIS: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_HOME_PAGE_URL: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_REDIRECT_URIS: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_ID_TOKEN_ISSUANCE: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_SCOPE_PRESENT: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_SCOPE_ID: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_SCOPE_TYPE: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_SCOPE_ENABLED: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_SCOPE_ADMIN_CONSENT_DISPLAY_NAME: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_SCOPE_ADMIN_CONSENT_DESCRIPTION: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_GRAPH_DIRECTORY_READ_ALL: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_GRAPH_USER_READ: { object: 'serverApp', repairStep: 'serverApp' },
  SERVER_SECRET_PRESENT: { object: 'serverApp', repairStep: 'serverSecret' },
  SERVER_SECRET_NOT_EXPIRED: { object: 'serverApp', repairStep: 'serverSecret' },
  SERVER_SP_PRESENT: { object: 'serverServicePrincipal', repairStep: 'serverServicePrincipal' },
  SERVER_SP_ENABLED: { object: 'serverServicePrincipal', repairStep: 'serverServicePrincipal' },
  CLIENT_APP_PRESENT: { object: 'clientApp', repairStep: 'clientApp' },
  CLIENT_APP_ID: { object: 'clientApp', repairStep: 'clientApp' },
  CLIENT_DISPLAY_NAME: { object: 'clientApp', repairStep: 'clientApp' },
  CLIENT_SIGN_IN_AUDIENCE: { object: 'clientApp', repairStep: 'clientApp' },
  CLIENT_BROKER_REDIRECT_URI: { object: 'clientApp', repairStep: 'clientRedirect' },
  CLIENT_PUBLIC_CLIENT_FLOWS: { object: 'clientApp', repairStep: 'clientApp' },
  CLIENT_ID_TOKEN_ISSUANCE: { object: 'clientApp', repairStep: 'clientApp' },
  CLIENT_SERVER_USER_IMPERSONATION: { object: 'clientApp', repairStep: 'clientApp' },
  CLIENT_GRAPH_USER_READ: { object: 'clientApp', repairStep: 'clientApp' },
  CLIENT_SP_PRESENT: { object: 'clientServicePrincipal', repairStep: 'clientServicePrincipal' },
  CLIENT_SP_ENABLED: { object: 'clientServicePrincipal', repairStep: 'clientServicePrincipal' },
  CONSENT_DIRECTORY_READ_ALL: { object: 'directoryReadAllConsent', repairStep: 'appRoleConsent' },
  CONSENT_USER_IMPERSONATION: { object: 'userImpersonationConsent', repairStep: 'delegatedGrant' },
  CONSENT_GRAPH_USER_READ: { object: 'graphUserReadConsent', repairStep: 'clientGraphGrant' },
} satisfies Record<string, { object: DeviationObject; repairStep: StepName }>);
export type VerifyRule = keyof typeof VERIFY_RULES;

export type DeviationValue = string | number | boolean | null | readonly string[];

export interface Deviation {
  readonly object: DeviationObject;
  readonly property: string;
  readonly expected: DeviationValue;
  readonly actual: DeviationValue;
  readonly rule: VerifyRule;
}

export interface VerifyOptions {
  /** For the secret checks: the clock, and the keyId of the credential stored in Key Vault. */
  readonly now?: Date;
  readonly credentialKeyId?: string;
}

const ABSENT = null;

function lower(v: string | null | undefined): string | undefined {
  return v?.toLowerCase();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function hasAccess(
  rra: readonly ObservedRequiredResourceAccess[] | null | undefined,
  resourceAppId: string,
  id: string,
  type: string,
): boolean {
  return (rra ?? []).some(
    (r) =>
      lower(r.resourceAppId) === resourceAppId.toLowerCase() &&
      (r.resourceAccess ?? []).some((a) => lower(a.id) === id.toLowerCase() && a.type === type),
  );
}

class Collector {
  readonly list: Deviation[] = [];
  add(rule: VerifyRule, property: string, expected: DeviationValue, actual: DeviationValue | undefined): void {
    this.list.push({ object: VERIFY_RULES[rule].object, property, expected, actual: actual ?? ABSENT, rule });
  }
  expectEqual(rule: VerifyRule, property: string, expected: DeviationValue, actual: DeviationValue | undefined): void {
    if (actual !== expected) this.add(rule, property, expected, actual);
  }
}

/** Shown as the expected value where any non-empty text is accepted (imported apps). */
const NON_EMPTY = '(any non-empty text)';

function checkServerApp(
  req: RegistrationRequirements,
  app: ObservedApplication,
  c: Collector,
  options: VerifyOptions,
): void {
  const created = req.action === 'create';
  if (req.server.appId !== undefined) c.expectEqual('SERVER_APP_ID', 'appId', req.server.appId, lower(app.appId));
  c.expectEqual('SERVER_DISPLAY_NAME', 'displayName', req.server.displayName, app.displayName);
  c.expectEqual('SERVER_SIGN_IN_AUDIENCE', 'signInAudience', SIGN_IN_AUDIENCE, app.signInAudience);
  const uris = app.identifierUris ?? [];
  if (uris.length !== 1 || uris[0] !== req.server.appIdUri) {
    c.add('SERVER_IDENTIFIER_URIS', 'identifierUris', [req.server.appIdUri], uris);
  }
  if (created) c.expectEqual('SERVER_HOME_PAGE_URL', 'web.homePageUrl', req.server.homePageUrl, app.web?.homePageUrl);
  const redirects = app.publicClient?.redirectUris ?? [];
  if (!sameSet(redirects, SERVER_PUBLIC_CLIENT_REDIRECT_URIS)) {
    c.add('SERVER_REDIRECT_URIS', 'publicClient.redirectUris', SERVER_PUBLIC_CLIENT_REDIRECT_URIS, redirects);
  }
  c.expectEqual(
    'SERVER_ID_TOKEN_ISSUANCE',
    'web.implicitGrantSettings.enableIdTokenIssuance',
    true,
    app.web?.implicitGrantSettings?.enableIdTokenIssuance,
  );

  const scope = (app.api?.oauth2PermissionScopes ?? []).find((s) => s.value === USER_IMPERSONATION);
  if (scope === undefined) {
    c.add('SERVER_SCOPE_PRESENT', 'api.oauth2PermissionScopes[value=user_impersonation]', USER_IMPERSONATION, ABSENT);
  } else {
    const p = 'api.oauth2PermissionScopes[value=user_impersonation]';
    if (created) c.expectEqual('SERVER_SCOPE_ID', `${p}.id`, userImpersonationScopeId(req.requestId), lower(scope.id));
    c.expectEqual('SERVER_SCOPE_TYPE', `${p}.type`, SCOPE_TYPE_ADMINS_AND_USERS, scope.type);
    c.expectEqual('SERVER_SCOPE_ENABLED', `${p}.isEnabled`, true, scope.isEnabled);
    if (created) {
      c.expectEqual(
        'SERVER_SCOPE_ADMIN_CONSENT_DISPLAY_NAME',
        `${p}.adminConsentDisplayName`,
        adminConsentDisplayName(req.server.displayName),
        scope.adminConsentDisplayName,
      );
      c.expectEqual(
        'SERVER_SCOPE_ADMIN_CONSENT_DESCRIPTION',
        `${p}.adminConsentDescription`,
        adminConsentDescription(req.server.displayName),
        scope.adminConsentDescription,
      );
    } else {
      if (!scope.adminConsentDisplayName?.trim()) {
        c.add(
          'SERVER_SCOPE_ADMIN_CONSENT_DISPLAY_NAME',
          `${p}.adminConsentDisplayName`,
          NON_EMPTY,
          scope.adminConsentDisplayName,
        );
      }
      if (!scope.adminConsentDescription?.trim()) {
        c.add(
          'SERVER_SCOPE_ADMIN_CONSENT_DESCRIPTION',
          `${p}.adminConsentDescription`,
          NON_EMPTY,
          scope.adminConsentDescription,
        );
      }
    }
  }

  const g = req.graph;
  const rra = app.requiredResourceAccess;
  const hasDirectoryRead = hasAccess(rra, g.graphAppId, g.directoryReadAllRoleId, RESOURCE_ACCESS_ROLE);
  const hasUserRead = hasAccess(rra, g.graphAppId, g.userReadScopeId, RESOURCE_ACCESS_SCOPE);
  const property = `requiredResourceAccess[${g.graphAppId}]`;
  if (hasDirectoryRead !== req.userDiscovery) {
    c.add(
      'SERVER_GRAPH_DIRECTORY_READ_ALL',
      `${property}.${DIRECTORY_READ_ALL} (Role)`,
      req.userDiscovery,
      hasDirectoryRead,
    );
  }
  if (hasUserRead === req.userDiscovery) {
    c.add('SERVER_GRAPH_USER_READ', `${property}.${USER_READ} (Scope)`, !req.userDiscovery, hasUserRead);
  }

  if (options.credentialKeyId !== undefined) {
    const cred = (app.passwordCredentials ?? []).find((p) => lower(p.keyId) === options.credentialKeyId?.toLowerCase());
    if (cred === undefined) {
      c.add('SERVER_SECRET_PRESENT', 'passwordCredentials[keyId]', options.credentialKeyId.toLowerCase(), ABSENT);
    } else if (
      options.now !== undefined &&
      !(cred.endDateTime && Date.parse(cred.endDateTime) > options.now.getTime())
    ) {
      c.add(
        'SERVER_SECRET_NOT_EXPIRED',
        'passwordCredentials[keyId].endDateTime',
        `after ${options.now.toISOString()}`,
        cred.endDateTime,
      );
    }
  }
}

function checkClientApp(
  req: RegistrationRequirements,
  client: NonNullable<RegistrationRequirements['client']>,
  app: ObservedApplication,
  server: ObservedApplication | undefined,
  c: Collector,
): void {
  if (client.appId !== undefined) c.expectEqual('CLIENT_APP_ID', 'appId', client.appId, lower(app.appId));
  c.expectEqual('CLIENT_DISPLAY_NAME', 'displayName', client.displayName, app.displayName);
  c.expectEqual('CLIENT_SIGN_IN_AUDIENCE', 'signInAudience', SIGN_IN_AUDIENCE, app.signInAudience);
  const redirects = app.publicClient?.redirectUris ?? [];
  const broker = brokerRedirectUri(app.appId);
  if (!(redirects.length === 1 && redirects[0]?.toLowerCase() === broker.toLowerCase())) {
    c.add('CLIENT_BROKER_REDIRECT_URI', 'publicClient.redirectUris', [broker], redirects);
  }
  c.expectEqual('CLIENT_PUBLIC_CLIENT_FLOWS', 'isFallbackPublicClient', true, app.isFallbackPublicClient);
  c.expectEqual(
    'CLIENT_ID_TOKEN_ISSUANCE',
    'web.implicitGrantSettings.enableIdTokenIssuance',
    true,
    app.web?.implicitGrantSettings?.enableIdTokenIssuance,
  );
  // The scope id the client must request is the server app's actual user_impersonation id (for imported apps
  // it isn't ours); fall back to the deterministic id when the server app can't be read.
  const scopeId =
    server?.api?.oauth2PermissionScopes?.find((s) => s.value === USER_IMPERSONATION)?.id ??
    userImpersonationScopeId(req.requestId);
  const serverAppId = server?.appId ?? req.server.appId;
  if (
    serverAppId === undefined ||
    !hasAccess(app.requiredResourceAccess, serverAppId, scopeId, RESOURCE_ACCESS_SCOPE)
  ) {
    c.add(
      'CLIENT_SERVER_USER_IMPERSONATION',
      `requiredResourceAccess[${serverAppId ?? 'server app'}].${USER_IMPERSONATION} (Scope)`,
      true,
      false,
    );
  }
  if (!hasAccess(app.requiredResourceAccess, req.graph.graphAppId, req.graph.userReadScopeId, RESOURCE_ACCESS_SCOPE)) {
    c.add(
      'CLIENT_GRAPH_USER_READ',
      `requiredResourceAccess[${req.graph.graphAppId}].${USER_READ} (Scope)`,
      true,
      false,
    );
  }
}

function checkServicePrincipal(
  rules: { present: VerifyRule; enabled: VerifyRule },
  app: ObservedApplication | undefined,
  sp: ObservedServicePrincipal | undefined,
  c: Collector,
): void {
  if (sp === undefined || (app !== undefined && lower(sp.appId) !== app.appId.toLowerCase())) {
    c.add(rules.present, 'appId', app?.appId.toLowerCase() ?? 'present', sp === undefined ? ABSENT : lower(sp.appId));
    return;
  }
  if (sp.accountEnabled === false) c.add(rules.enabled, 'accountEnabled', true, false);
}

function hasGrant(
  grants: readonly ObservedPermissionGrant[],
  clientId: string | undefined,
  resourceId: string | undefined,
  scope: string,
): boolean {
  if (clientId === undefined || resourceId === undefined) return false;
  return grants.some(
    (g) =>
      lower(g.clientId) === clientId.toLowerCase() &&
      lower(g.resourceId) === resourceId.toLowerCase() &&
      g.consentType === CONSENT_TYPE_ALL_PRINCIPALS &&
      (g.scope ?? '').split(' ').includes(scope),
  );
}

/** Every deviation of the observed objects from the requirements; an empty list means compliant. */
export function verifyRegistration(
  req: RegistrationRequirements,
  observed: ObservedRegistration,
  options: VerifyOptions = {},
): Deviation[] {
  const c = new Collector();
  const server = observed.serverApp;
  if (server === undefined) c.add('SERVER_APP_PRESENT', '(object)', 'present', ABSENT);
  else checkServerApp(req, server, c, options);
  checkServicePrincipal(
    { present: 'SERVER_SP_PRESENT', enabled: 'SERVER_SP_ENABLED' },
    server,
    observed.serverServicePrincipal,
    c,
  );

  const serverSpId = observed.serverServicePrincipal?.id;
  const graphSpId = observed.graphServicePrincipalId;
  if (req.userDiscovery) {
    const ok = observed.appRoleAssignments.some(
      (a) =>
        serverSpId !== undefined &&
        lower(a.principalId) === serverSpId.toLowerCase() &&
        lower(a.resourceId) === graphSpId.toLowerCase() &&
        lower(a.appRoleId) === req.graph.directoryReadAllRoleId.toLowerCase(),
    );
    if (!ok) c.add('CONSENT_DIRECTORY_READ_ALL', `appRoleAssignment ${DIRECTORY_READ_ALL}`, 'granted', 'not granted');
  }

  if (req.nativeApp) {
    const client = observed.clientApp;
    if (client === undefined || req.client === undefined) c.add('CLIENT_APP_PRESENT', '(object)', 'present', ABSENT);
    else checkClientApp(req, req.client, client, server, c);
    checkServicePrincipal(
      { present: 'CLIENT_SP_PRESENT', enabled: 'CLIENT_SP_ENABLED' },
      client,
      observed.clientServicePrincipal,
      c,
    );
    const clientSpId = observed.clientServicePrincipal?.id;
    if (!hasGrant(observed.oauth2PermissionGrants, clientSpId, serverSpId, USER_IMPERSONATION)) {
      c.add(
        'CONSENT_USER_IMPERSONATION',
        `oauth2PermissionGrant ${USER_IMPERSONATION} (AllPrincipals)`,
        'granted',
        'not granted',
      );
    }
    if (!hasGrant(observed.oauth2PermissionGrants, clientSpId, graphSpId, USER_READ)) {
      c.add('CONSENT_GRAPH_USER_READ', `oauth2PermissionGrant ${USER_READ} (AllPrincipals)`, 'granted', 'not granted');
    }
  }
  return c.list;
}

/** The steps whose writes repair a list of deviations (drift repair), in pipeline order. */
export function repairSteps(deviations: readonly Deviation[]): StepName[] {
  const steps = new Set<StepName>(deviations.map((d) => VERIFY_RULES[d.rule].repairStep));
  return STEP_NAMES.filter((s) => steps.has(s));
}
