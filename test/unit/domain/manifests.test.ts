import {
  addUtcYears,
  buildAddPassword,
  buildClientApplication,
  buildClientRedirectPatch,
  buildDirectoryReadAllAssignment,
  buildGraphUserReadGrant,
  buildKeyVaultSecretSpec,
  buildServerApplication,
  buildServicePrincipal,
  buildUserImpersonationGrant,
  serverAppSpec,
  type ServerAppSpec,
} from '../../../src/shared/domain/manifests';
import {
  DIRECTORY_READ_ALL_ROLE_ID,
  MICROSOFT_GRAPH_APP_ID,
  USER_READ_SCOPE_ID,
  resolveGraphPermissionIds,
} from '../../../src/shared/domain/graphIds';
import {
  CLIENT_APP_ID,
  CLIENT_SP_ID,
  CREDENTIAL_KEY_ID,
  DIRECTORY_READ_ALL,
  GRAPH,
  GRAPH_SP_ID,
  REQUEST_ID,
  SCOPE_ID,
  SERVER_APP_ID,
  SERVER_SP_ID,
  TENANT_ID,
  USER_READ,
  validRequest,
} from './fixtures';

const spec: ServerAppSpec = serverAppSpec(validRequest(), REQUEST_ID);
const server = buildServerApplication(spec);
const client = buildClientApplication({
  requestId: REQUEST_ID,
  displayName: 'CMG-ClientApp',
  serverAppId: SERVER_APP_ID,
});

describe('Graph well-known ids (REFERENCE §2)', () => {
  it('pins Graph appId, Directory.Read.All and User.Read', () => {
    expect(MICROSOFT_GRAPH_APP_ID).toBe(GRAPH);
    expect(DIRECTORY_READ_ALL_ROLE_ID).toBe(DIRECTORY_READ_ALL);
    expect(USER_READ_SCOPE_ID).toBe(USER_READ);
  });

  it("resolves the same ids from Graph's service principal, and fails when one is missing", () => {
    const sp = {
      appId: GRAPH,
      appRoles: [{ id: 'AAAAAAAA-0000-4000-8000-000000000000', value: 'Directory.Read.All' }],
      oauth2PermissionScopes: [{ id: 'bbbbbbbb-0000-4000-8000-000000000000', value: 'User.Read' }],
    };
    expect(resolveGraphPermissionIds(sp)).toEqual({
      graphAppId: GRAPH,
      directoryReadAllRoleId: 'aaaaaaaa-0000-4000-8000-000000000000',
      userReadScopeId: 'bbbbbbbb-0000-4000-8000-000000000000',
    });
    expect(() => resolveGraphPermissionIds({ ...sp, appRoles: [] })).toThrow(/Directory.Read.All/);
    expect(() => resolveGraphPermissionIds({ ...sp, appId: SERVER_APP_ID })).toThrow(/Microsoft Graph/);
  });
});

describe('server (web) app — seed 000 "Register the web (server) app"', () => {
  it('is addressed by a deterministic uniqueName', () => {
    expect(server.uniqueName).toBe(`cmep-server-${REQUEST_ID}`);
  });

  it('displayName from the request', () => {
    expect(server.body.displayName).toBe('CMG-ServerApp');
  });

  it('supported account types: this organizational directory only', () => {
    expect(server.body.signInAudience).toBe('AzureADMyOrg');
  });

  it('identifierUris: exactly the one App ID URI', () => {
    expect(server.body.identifierUris).toEqual([`api://${TENANT_ID}/ConfigMgrService`]);
  });

  it("web.homePageUrl: the wizard's HomePage URL", () => {
    expect(server.body.web?.homePageUrl).toBe('https://ConfigMgrService');
    const custom = buildServerApplication({ ...spec, homePageUrl: 'https://cmg.contoso.com' });
    expect(custom.body.web?.homePageUrl).toBe('https://cmg.contoso.com');
  });

  it('redirect URI: Public client/native (mobile & desktop) http://localhost — and no web redirect', () => {
    expect(server.body.publicClient).toEqual({ redirectUris: ['http://localhost'] });
    expect(server.body.web).not.toHaveProperty('redirectUris');
  });

  it('oauth2AllowIdTokenImplicitFlow true → web.implicitGrantSettings.enableIdTokenIssuance true', () => {
    expect(server.body.web?.implicitGrantSettings).toEqual({ enableIdTokenIssuance: true });
  });

  describe('Expose an API: one scope', () => {
    const scopes = server.body.api?.oauth2PermissionScopes ?? [];
    const scope = scopes[0];
    it('exactly one scope', () => expect(scopes).toHaveLength(1));
    it('Scope name: user_impersonation', () => expect(scope?.value).toBe('user_impersonation'));
    it('Who can consent: Admins and users → type User', () => expect(scope?.type).toBe('User'));
    it('enabled', () => expect(scope?.isEnabled).toBe(true));
    it('Admin consent display name: "Access CMG-ServerApp"', () =>
      expect(scope?.adminConsentDisplayName).toBe('Access CMG-ServerApp'));
    it('Admin consent description: seed wording', () =>
      expect(scope?.adminConsentDescription).toBe(
        'Allow the application to access CMG-ServerApp on behalf of the signed-in user.',
      ));
    it('user consent texts are not set (the seed names none)', () => {
      expect(scope).not.toHaveProperty('userConsentDisplayName');
      expect(scope).not.toHaveProperty('userConsentDescription');
    });
    it('id: caller-generated, deterministic from the request (retries reuse it)', () => {
      expect(scope?.id).toBe(SCOPE_ID);
      expect(buildServerApplication(spec).body.api?.oauth2PermissionScopes[0]?.id).toBe(SCOPE_ID);
    });
  });

  it('with user discovery: Graph Directory.Read.All as an application permission, and User.Read removed', () => {
    expect(server.body.requiredResourceAccess).toEqual([
      { resourceAppId: GRAPH, resourceAccess: [{ id: DIRECTORY_READ_ALL, type: 'Role' }] },
    ]);
    const all = server.body.requiredResourceAccess.flatMap((r) => r.resourceAccess.map((a) => a.id));
    expect(all).not.toContain(USER_READ);
  });

  it('without user discovery: the portal default Graph User.Read stays, no Directory.Read.All', () => {
    const noDiscovery = buildServerApplication({ ...spec, userDiscovery: false });
    expect(noDiscovery.body.requiredResourceAccess).toEqual([
      { resourceAppId: GRAPH, resourceAccess: [{ id: USER_READ, type: 'Scope' }] },
    ]);
  });

  it('is tagged as managed by this service for this request', () => {
    expect(server.body.tags).toEqual([
      'cm-entra-provisioner',
      `cm-entra-provisioner:request:${REQUEST_ID}`,
      'cm-entra-provisioner:role:server',
    ]);
  });

  it('sets nothing the seed does not name', () => {
    expect(Object.keys(server.body).sort()).toEqual(
      [
        'api',
        'displayName',
        'identifierUris',
        'publicClient',
        'requiredResourceAccess',
        'signInAudience',
        'tags',
        'web',
      ].sort(),
    );
  });
});

describe('client (native) app — seed 000 "Register the native (client) app"', () => {
  it('is addressed by a deterministic uniqueName', () => expect(client.uniqueName).toBe(`cmep-client-${REQUEST_ID}`));
  it('displayName from the request', () => expect(client.body.displayName).toBe('CMG-ClientApp'));
  it('supported account types: this organizational directory only', () =>
    expect(client.body.signInAudience).toBe('AzureADMyOrg'));
  it('Allow public client flows: Yes → isFallbackPublicClient true', () =>
    expect(client.body.isFallbackPublicClient).toBe(true));
  it('oauth2AllowIdTokenImplicitFlow true on the client too', () =>
    expect(client.body.web).toEqual({ implicitGrantSettings: { enableIdTokenIssuance: true } }));

  it('first write leaves publicClient alone (redirect URI blank at registration; set once the appId exists)', () => {
    expect(client.body).not.toHaveProperty('publicClient');
    expect(client.body).not.toHaveProperty('identifierUris');
  });

  it('second write: broker redirect URI with its own client id', () => {
    expect(buildClientRedirectPatch(CLIENT_APP_ID)).toEqual({
      publicClient: { redirectUris: ['ms-appx-web://Microsoft.AAD.BrokerPlugin/2afe572e-d268-4c77-a22d-fdca617e2255'] },
    });
    expect(buildClientRedirectPatch(CLIENT_APP_ID.toUpperCase()).publicClient.redirectUris[0]).toBe(
      `ms-appx-web://Microsoft.AAD.BrokerPlugin/${CLIENT_APP_ID}`,
    );
    expect(() => buildClientRedirectPatch('not-a-guid')).toThrow(/GUID/);
  });

  it("API permissions: Graph User.Read (delegated) and the server app's user_impersonation (delegated)", () => {
    expect(client.body.requiredResourceAccess).toEqual([
      { resourceAppId: GRAPH, resourceAccess: [{ id: USER_READ, type: 'Scope' }] },
      { resourceAppId: SERVER_APP_ID, resourceAccess: [{ id: SCOPE_ID, type: 'Scope' }] },
    ]);
  });

  it('refuses a server appId that is not a GUID', () => {
    expect(() => buildClientApplication({ requestId: REQUEST_ID, displayName: 'x', serverAppId: 'nope' })).toThrow(
      /GUID/,
    );
  });

  it('sets nothing the seed does not name', () => {
    expect(Object.keys(client.body).sort()).toEqual(
      ['displayName', 'isFallbackPublicClient', 'requiredResourceAccess', 'signInAudience', 'tags', 'web'].sort(),
    );
  });
});

describe('service principals and consents', () => {
  it('service principal upsert body: display name and tags (shown under Enterprise applications)', () => {
    expect(buildServicePrincipal(REQUEST_ID, 'server', 'CMG-ServerApp')).toEqual({
      displayName: 'CMG-ServerApp',
      tags: [
        'WindowsAzureActiveDirectoryIntegratedApp',
        'cm-entra-provisioner',
        `cm-entra-provisioner:request:${REQUEST_ID}`,
        'cm-entra-provisioner:role:server',
      ],
    });
  });

  it('Grant admin consent on the server app: Directory.Read.All app role assignment to the server SP', () => {
    expect(buildDirectoryReadAllAssignment(SERVER_SP_ID, GRAPH_SP_ID)).toEqual({
      principalId: SERVER_SP_ID,
      resourceId: GRAPH_SP_ID,
      appRoleId: DIRECTORY_READ_ALL,
    });
  });

  it('Grant admin consent on the client app: user_impersonation for all principals', () => {
    expect(buildUserImpersonationGrant(CLIENT_SP_ID, SERVER_SP_ID)).toEqual({
      clientId: CLIENT_SP_ID,
      consentType: 'AllPrincipals',
      resourceId: SERVER_SP_ID,
      scope: 'user_impersonation',
    });
  });

  it("the same admin consent covers the client's Graph User.Read", () => {
    expect(buildGraphUserReadGrant(CLIENT_SP_ID, GRAPH_SP_ID)).toEqual({
      clientId: CLIENT_SP_ID,
      consentType: 'AllPrincipals',
      resourceId: GRAPH_SP_ID,
      scope: 'User.Read',
    });
  });
});

describe('client secret', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');

  it('1 year (the default) or 2 years from now, marked with the request id', () => {
    expect(buildAddPassword(REQUEST_ID, 1, now)).toEqual({
      passwordCredential: {
        displayName: `cm-entra-provisioner:${REQUEST_ID}`,
        endDateTime: '2027-03-01T12:00:00.000Z',
      },
    });
    expect(buildAddPassword(REQUEST_ID, 2, now).passwordCredential.endDateTime).toBe('2028-03-01T12:00:00.000Z');
  });

  it('adds calendar years in UTC', () => {
    expect(addUtcYears(new Date('2024-02-29T00:00:00Z'), 1).toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(addUtcYears(new Date('2025-12-31T23:30:00-02:00'), 1).toISOString()).toBe('2027-01-01T01:30:00.000Z');
  });

  it('Key Vault secret: derived name, expiry and tags, never a value', () => {
    const s = buildKeyVaultSecretSpec({
      requestId: REQUEST_ID,
      tenantId: TENANT_ID,
      serverAppId: SERVER_APP_ID,
      credentialKeyId: CREDENTIAL_KEY_ID,
      endDateTime: '2027-03-01T12:00:00.000Z',
    });
    expect(s).toEqual({
      name: `cm-server-app-secret-${REQUEST_ID}`,
      contentType: 'text/plain',
      expiresOn: '2027-03-01T12:00:00.000Z',
      tags: {
        managedBy: 'cm-entra-provisioner',
        requestId: REQUEST_ID,
        tenantId: TENANT_ID,
        clientId: SERVER_APP_ID,
        credentialKeyId: CREDENTIAL_KEY_ID,
      },
    });
    expect(JSON.stringify(s)).not.toMatch(/secretText|"value"/);
  });
});
