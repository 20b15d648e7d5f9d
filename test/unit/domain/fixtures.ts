/**
 * Shared fixtures for the domain tests. Values are written out literally (from the seeds), not computed by the
 * code under test, so a test comparing against them fails if the code drifts.
 */
import type { RegistrationRequest } from '../../../src/shared/domain/registrationRequest';
import type { ObservedRegistration } from '../../../src/shared/domain/verify';

export const TENANT_ID = '5e97358c-d99c-4558-af0c-de7774091dda';
export const TICKET_ID = 'CHG0031337';
/** uuid v5 of 'ticket:CHG0031337' in namespace 0913ed59-6123-4575-814f-cf0ab42c80f6 (computed with Python's uuid). */
export const REQUEST_ID = 'bec6181f-a5ee-5552-aaa3-02e255eaed45';
/** uuid v5 of 'scope:{REQUEST_ID}:server:user_impersonation' in the same namespace (Python). */
export const SCOPE_ID = '55d2519d-243c-570c-bc46-7766672b2316';

export const SERVER_APP_ID = '7078946d-fc1c-43b7-8dee-dd6e6b00d783';
export const CLIENT_APP_ID = '2afe572e-d268-4c77-a22d-fdca617e2255';
export const SERVER_APP_OBJECT_ID = '11111111-1111-4111-8111-111111111111';
export const CLIENT_APP_OBJECT_ID = '22222222-2222-4222-8222-222222222222';
export const SERVER_SP_ID = '33333333-3333-4333-8333-333333333333';
export const CLIENT_SP_ID = '44444444-4444-4444-8444-444444444444';
export const GRAPH_SP_ID = '55555555-5555-4555-8555-555555555555';
export const CREDENTIAL_KEY_ID = '66666666-6666-4666-8666-666666666666';

export const GRAPH = '00000003-0000-0000-c000-000000000000';
export const DIRECTORY_READ_ALL = '7ab1d382-f21e-4acd-a863-ba3e13f7da61';
export const USER_READ = 'e1fe6dd8-ba31-4d61-89e7-88639da4683d';

export const KEY_VAULT_SECRET_ID = `https://kv-cmep.vault.azure.net/secrets/cm-server-app-secret-${REQUEST_ID}/0123456789abcdef0123456789abcdef`;

/** A complete, valid request body as a client sends it. */
export function validInput(): Record<string, unknown> {
  return {
    ticketId: TICKET_ID,
    requestedBy: 'alice@contoso.com',
    service: 'CloudManagement',
    action: 'create',
    tenantId: TENANT_ID,
    tenantName: 'contoso.onmicrosoft.com',
    cloud: 'AzurePublicCloud',
    serverApp: {
      displayName: 'CMG-ServerApp',
      appIdUri: `api://${TENANT_ID}/ConfigMgrService`,
    },
    clientApp: { displayName: 'CMG-ClientApp' },
  };
}

/** The same request, normalized. */
export function validRequest(overrides: Partial<RegistrationRequest> = {}): RegistrationRequest {
  return {
    ticketId: TICKET_ID,
    requestedBy: 'alice@contoso.com',
    service: 'CloudManagement',
    action: 'create',
    tenantId: TENANT_ID,
    tenantName: 'contoso.onmicrosoft.com',
    cloud: 'AzurePublicCloud',
    serverApp: {
      displayName: 'CMG-ServerApp',
      appIdUri: `api://${TENANT_ID}/ConfigMgrService`,
      homePageUrl: 'https://ConfigMgrService',
      secretValidityYears: 1,
      userDiscovery: true,
    },
    clientApp: { displayName: 'CMG-ClientApp' },
    ...overrides,
  };
}

/** What Graph returns for a registration that follows seed 000 to the letter (created by this service). */
export function compliantObserved(): ObservedRegistration {
  return {
    serverApp: {
      id: SERVER_APP_OBJECT_ID,
      appId: SERVER_APP_ID,
      displayName: 'CMG-ServerApp',
      signInAudience: 'AzureADMyOrg',
      identifierUris: [`api://${TENANT_ID}/ConfigMgrService`],
      web: { homePageUrl: 'https://ConfigMgrService', implicitGrantSettings: { enableIdTokenIssuance: true } },
      publicClient: { redirectUris: ['http://localhost'] },
      api: {
        oauth2PermissionScopes: [
          {
            id: SCOPE_ID,
            value: 'user_impersonation',
            type: 'User',
            isEnabled: true,
            adminConsentDisplayName: 'Access CMG-ServerApp',
            adminConsentDescription: 'Allow the application to access CMG-ServerApp on behalf of the signed-in user.',
          },
        ],
      },
      requiredResourceAccess: [{ resourceAppId: GRAPH, resourceAccess: [{ id: DIRECTORY_READ_ALL, type: 'Role' }] }],
      passwordCredentials: [
        {
          keyId: CREDENTIAL_KEY_ID,
          displayName: `cm-entra-provisioner:${REQUEST_ID}`,
          endDateTime: '2027-03-01T12:00:00Z',
        },
      ],
    },
    clientApp: {
      id: CLIENT_APP_OBJECT_ID,
      appId: CLIENT_APP_ID,
      displayName: 'CMG-ClientApp',
      signInAudience: 'AzureADMyOrg',
      isFallbackPublicClient: true,
      web: { implicitGrantSettings: { enableIdTokenIssuance: true } },
      publicClient: { redirectUris: [`ms-appx-web://Microsoft.AAD.BrokerPlugin/${CLIENT_APP_ID}`] },
      requiredResourceAccess: [
        { resourceAppId: GRAPH, resourceAccess: [{ id: USER_READ, type: 'Scope' }] },
        { resourceAppId: SERVER_APP_ID, resourceAccess: [{ id: SCOPE_ID, type: 'Scope' }] },
      ],
    },
    serverServicePrincipal: { id: SERVER_SP_ID, appId: SERVER_APP_ID, accountEnabled: true },
    clientServicePrincipal: { id: CLIENT_SP_ID, appId: CLIENT_APP_ID, accountEnabled: true },
    graphServicePrincipalId: GRAPH_SP_ID,
    appRoleAssignments: [{ principalId: SERVER_SP_ID, resourceId: GRAPH_SP_ID, appRoleId: DIRECTORY_READ_ALL }],
    oauth2PermissionGrants: [
      { clientId: CLIENT_SP_ID, consentType: 'AllPrincipals', resourceId: SERVER_SP_ID, scope: 'user_impersonation' },
      { clientId: CLIENT_SP_ID, consentType: 'AllPrincipals', resourceId: GRAPH_SP_ID, scope: 'User.Read' },
    ],
  };
}
