/**
 * Pure builders of the Microsoft Graph request bodies that create the two Configuration Manager app registrations
 * exactly as seed 000 ("Manually register Microsoft Entra apps for the CMG") configures them, completed by the
 * wizard's HomePage URL (seeds 001/002). Property names are those of microsoft.graph.application,
 * servicePrincipal, appRoleAssignment, oAuth2PermissionGrant and passwordCredential in graph/v1.0-Prod.csdl.
 */
import {
  RESOURCE_ACCESS_ROLE,
  RESOURCE_ACCESS_SCOPE,
  USER_READ,
  WELL_KNOWN_GRAPH_PERMISSION_IDS,
  type GraphPermissionIds,
} from './graphIds';
import {
  applicationUniqueName,
  credentialMarker,
  keyVaultSecretName,
  managedTags,
  requireGuid,
  userImpersonationScopeId,
  type AppRole,
} from './naming';
import type { RegistrationRequest, SecretValidityYears } from './registrationRequest';

/** "Accounts in this organizational directory only" (both apps, seed 000). */
export const SIGN_IN_AUDIENCE = 'AzureADMyOrg';
/** Server app: "Public client/native (mobile & desktop)" redirect URI http://localhost (seed 000). */
export const SERVER_PUBLIC_CLIENT_REDIRECT_URIS: readonly string[] = Object.freeze(['http://localhost']);
/** Client app: "Mobile and desktop applications" redirect URI with the app's own client id (seeds 000, 002). */
export const BROKER_REDIRECT_URI_PREFIX = 'ms-appx-web://Microsoft.AAD.BrokerPlugin/';
/** The server app's scope (seed 000: Scope name user_impersonation). */
export const USER_IMPERSONATION = 'user_impersonation';
/** "Who can consent: Admins and users" is permissionScope.type 'User' ('Admin' would be admins only). */
export const SCOPE_TYPE_ADMINS_AND_USERS = 'User';
/** oAuth2PermissionGrant.consentType of an admin consent for all users ("Grant admin consent for…"). */
export const CONSENT_TYPE_ALL_PRINCIPALS = 'AllPrincipals';
/** Service principals tagged like this appear under Enterprise applications, as portal-registered apps do. */
export const INTEGRATED_APP_TAG = 'WindowsAzureActiveDirectoryIntegratedApp';

export function brokerRedirectUri(clientAppId: string): string {
  return `${BROKER_REDIRECT_URI_PREFIX}${requireGuid(clientAppId, 'client appId')}`;
}

/** Seed 000's example wording, with the server app's name: "Access CMG-ServerApp". */
export function adminConsentDisplayName(serverDisplayName: string): string {
  return `Access ${serverDisplayName}`;
}

/** "Allow the application to access CMG-ServerApp on behalf of the signed-in user." */
export function adminConsentDescription(serverDisplayName: string): string {
  return `Allow the application to access ${serverDisplayName} on behalf of the signed-in user.`;
}

export interface ResourceAccessBody {
  readonly id: string;
  readonly type: typeof RESOURCE_ACCESS_ROLE | typeof RESOURCE_ACCESS_SCOPE;
}

export interface RequiredResourceAccessBody {
  readonly resourceAppId: string;
  readonly resourceAccess: readonly ResourceAccessBody[];
}

export interface PermissionScopeBody {
  readonly id: string;
  readonly type: string;
  readonly isEnabled: boolean;
  readonly value: string;
  readonly adminConsentDisplayName: string;
  readonly adminConsentDescription: string;
}

export interface ApplicationBody {
  readonly displayName: string;
  readonly signInAudience: string;
  readonly tags: readonly string[];
  readonly identifierUris?: readonly string[];
  readonly isFallbackPublicClient?: boolean;
  readonly web?: {
    readonly homePageUrl?: string;
    readonly implicitGrantSettings: { readonly enableIdTokenIssuance: boolean };
  };
  readonly publicClient?: { readonly redirectUris: readonly string[] };
  readonly api?: { readonly oauth2PermissionScopes: readonly PermissionScopeBody[] };
  readonly requiredResourceAccess: readonly RequiredResourceAccessBody[];
}

/** `PATCH /applications(uniqueName='{uniqueName}')` with `Prefer: create-if-missing` and this body. */
export interface ApplicationUpsert {
  readonly uniqueName: string;
  readonly body: ApplicationBody;
}

export interface ServerAppSpec {
  readonly requestId: string;
  readonly displayName: string;
  readonly appIdUri: string;
  readonly homePageUrl: string;
  readonly userDiscovery: boolean;
  readonly graph?: GraphPermissionIds;
}

export function serverAppSpec(
  request: RegistrationRequest,
  requestId: string,
  graph?: GraphPermissionIds,
): ServerAppSpec {
  const { displayName, appIdUri, homePageUrl, userDiscovery } = request.serverApp;
  return { requestId, displayName, appIdUri, homePageUrl, userDiscovery, ...(graph === undefined ? {} : { graph }) };
}

/**
 * Graph permissions the server app requests (seed 000). With Entra user discovery: the application permission
 * Directory.Read.All, and the portal's default delegated User.Read removed. Without it, the default User.Read stays.
 */
export function serverGraphAccess(
  userDiscovery: boolean,
  graph: GraphPermissionIds = WELL_KNOWN_GRAPH_PERMISSION_IDS,
): RequiredResourceAccessBody {
  return {
    resourceAppId: graph.graphAppId,
    resourceAccess: userDiscovery
      ? [{ id: graph.directoryReadAllRoleId, type: RESOURCE_ACCESS_ROLE }]
      : [{ id: graph.userReadScopeId, type: RESOURCE_ACCESS_SCOPE }],
  };
}

/** The server app's one scope: user_impersonation, admins and users, enabled, with its deterministic id. */
export function userImpersonationScope(requestId: string, serverDisplayName: string): PermissionScopeBody {
  return {
    id: userImpersonationScopeId(requestId),
    type: SCOPE_TYPE_ADMINS_AND_USERS,
    isEnabled: true,
    value: USER_IMPERSONATION,
    adminConsentDisplayName: adminConsentDisplayName(serverDisplayName),
    adminConsentDescription: adminConsentDescription(serverDisplayName),
  };
}

/** The web (server) app (seed 000 "Register the web (server) app"; HomePage URL from the wizard, seeds 001/002). */
export function buildServerApplication(spec: ServerAppSpec): ApplicationUpsert {
  return {
    uniqueName: applicationUniqueName(spec.requestId, 'server'),
    body: {
      displayName: spec.displayName,
      signInAudience: SIGN_IN_AUDIENCE,
      tags: managedTags(spec.requestId, 'server'),
      identifierUris: [spec.appIdUri],
      web: {
        homePageUrl: spec.homePageUrl,
        implicitGrantSettings: { enableIdTokenIssuance: true },
      },
      publicClient: { redirectUris: [...SERVER_PUBLIC_CLIENT_REDIRECT_URIS] },
      api: { oauth2PermissionScopes: [userImpersonationScope(spec.requestId, spec.displayName)] },
      requiredResourceAccess: [serverGraphAccess(spec.userDiscovery, spec.graph)],
    },
  };
}

export interface ClientAppSpec {
  readonly requestId: string;
  readonly displayName: string;
  /** appId of the server app, whose user_impersonation scope the client requests. */
  readonly serverAppId: string;
  readonly graph?: GraphPermissionIds;
}

/** The client's permissions: Graph User.Read (the portal default, kept) and the server's user_impersonation. */
export function clientRequiredResourceAccess(
  requestId: string,
  serverAppId: string,
  graph: GraphPermissionIds = WELL_KNOWN_GRAPH_PERMISSION_IDS,
): RequiredResourceAccessBody[] {
  return [
    { resourceAppId: graph.graphAppId, resourceAccess: [{ id: graph.userReadScopeId, type: RESOURCE_ACCESS_SCOPE }] },
    {
      resourceAppId: serverAppId.toLowerCase(),
      resourceAccess: [{ id: userImpersonationScopeId(requestId), type: RESOURCE_ACCESS_SCOPE }],
    },
  ];
}

/**
 * The native (client) app, first write (seed 000 "Register the native (client) app"). Its redirect URI names its
 * own appId, which only exists after creation: see buildClientRedirectPatch. publicClient is left out here so a
 * re-run of this write never clears a redirect URI already set.
 */
export function buildClientApplication(spec: ClientAppSpec): ApplicationUpsert {
  const serverAppId = requireGuid(spec.serverAppId, 'serverAppId');
  return {
    uniqueName: applicationUniqueName(spec.requestId, 'client'),
    body: {
      displayName: spec.displayName,
      signInAudience: SIGN_IN_AUDIENCE,
      tags: managedTags(spec.requestId, 'client'),
      isFallbackPublicClient: true,
      web: { implicitGrantSettings: { enableIdTokenIssuance: true } },
      requiredResourceAccess: clientRequiredResourceAccess(spec.requestId, serverAppId, spec.graph),
    },
  };
}

export interface ClientRedirectPatch {
  readonly publicClient: { readonly redirectUris: readonly string[] };
}

/** Second write of the client app: `PATCH /applications/{id}` with the broker redirect URI of its own appId. */
export function buildClientRedirectPatch(clientAppId: string): ClientRedirectPatch {
  return { publicClient: { redirectUris: [brokerRedirectUri(clientAppId)] } };
}

export interface ServicePrincipalBody {
  readonly displayName: string;
  readonly tags: readonly string[];
}

/** `PATCH /servicePrincipals(appId='{appId}')` with `Prefer: create-if-missing` and this body. */
export function buildServicePrincipal(requestId: string, role: AppRole, displayName: string): ServicePrincipalBody {
  return { displayName, tags: [INTEGRATED_APP_TAG, ...managedTags(requestId, role)] };
}

export interface AppRoleAssignmentBody {
  readonly principalId: string;
  readonly resourceId: string;
  readonly appRoleId: string;
}

/**
 * Admin consent for the server app's Directory.Read.All (seed 000, with user discovery):
 * `POST /servicePrincipals/{graphServicePrincipalId}/appRoleAssignedTo`.
 */
export function buildDirectoryReadAllAssignment(
  serverServicePrincipalId: string,
  graphServicePrincipalId: string,
  graph: GraphPermissionIds = WELL_KNOWN_GRAPH_PERMISSION_IDS,
): AppRoleAssignmentBody {
  return {
    principalId: serverServicePrincipalId,
    resourceId: graphServicePrincipalId,
    appRoleId: graph.directoryReadAllRoleId,
  };
}

export interface OAuth2PermissionGrantBody {
  readonly clientId: string;
  readonly consentType: typeof CONSENT_TYPE_ALL_PRINCIPALS;
  readonly resourceId: string;
  readonly scope: string;
}

/** `POST /oauth2PermissionGrants`: admin consent, for all users, of the client's user_impersonation on the server. */
export function buildUserImpersonationGrant(
  clientServicePrincipalId: string,
  serverServicePrincipalId: string,
): OAuth2PermissionGrantBody {
  return {
    clientId: clientServicePrincipalId,
    consentType: CONSENT_TYPE_ALL_PRINCIPALS,
    resourceId: serverServicePrincipalId,
    scope: USER_IMPERSONATION,
  };
}

/**
 * `POST /oauth2PermissionGrants`: the same admin consent covers the client's other configured permission, Graph
 * User.Read (seed 000's "Grant admin consent for…" consents to every permission listed on the client app).
 */
export function buildGraphUserReadGrant(
  clientServicePrincipalId: string,
  graphServicePrincipalId: string,
): OAuth2PermissionGrantBody {
  return {
    clientId: clientServicePrincipalId,
    consentType: CONSENT_TYPE_ALL_PRINCIPALS,
    resourceId: graphServicePrincipalId,
    scope: USER_READ,
  };
}

/** now + n calendar years, in UTC (29 February rolls to 1 March). */
export function addUtcYears(now: Date, years: number): Date {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

export interface AddPasswordBody {
  readonly passwordCredential: { readonly displayName: string; readonly endDateTime: string };
}

/** `POST /applications/{id}/addPassword`: a secret valid 1 or 2 years from `now`, marked with the request id. */
export function buildAddPassword(requestId: string, validityYears: SecretValidityYears, now: Date): AddPasswordBody {
  return {
    passwordCredential: {
      displayName: credentialMarker(requestId),
      endDateTime: addUtcYears(now, validityYears).toISOString(),
    },
  };
}

export interface KeyVaultSecretSpec {
  readonly name: string;
  readonly contentType: string;
  readonly expiresOn: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Name, expiry and tags (never the value) of the Key Vault secret that holds the server app's client secret. */
export function buildKeyVaultSecretSpec(input: {
  readonly requestId: string;
  readonly tenantId: string;
  readonly serverAppId: string;
  readonly credentialKeyId: string;
  readonly endDateTime: string;
}): KeyVaultSecretSpec {
  return {
    name: keyVaultSecretName(input.requestId),
    contentType: 'text/plain',
    expiresOn: input.endDateTime,
    tags: {
      managedBy: 'cm-entra-provisioner',
      requestId: input.requestId,
      tenantId: input.tenantId,
      clientId: input.serverAppId,
      credentialKeyId: input.credentialKeyId,
    },
  };
}
