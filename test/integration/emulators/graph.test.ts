import type { Client } from '@microsoft/microsoft-graph-client';
import { decodeJwt } from 'jose';
import type { EntraEmulator } from '../../../dev/emulators/entra';
import type { GraphEmulator } from '../../../dev/emulators/graph';
import { emulatorCredential, emulatorGraphClient } from '../../../dev/emulators/graph/sdk';
import {
  contoso,
  fabrikam,
  GRAPH_APP_ID,
  sdkFailure as failure,
  useGraphEmulators,
  type Json,
} from '../../support/graphEmulator';

const emulators = useGraphEmulators();
let entra: EntraEmulator;
let graph: GraphEmulator;
let owned: Client; // Contoso, OwnedBy
let all: Client; // Fabrikam, ReadWrite.All
const clientFor = emulators.clientFor;

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

beforeAll(() => {
  ({ entra, graph } = emulators);
  owned = clientFor(contoso);
  all = clientFor(fabrikam);
});

describe('applications: idempotent upsert by uniqueName', () => {
  it('creates with 201 and a body, then updates with 204, leaving one object', async () => {
    const uniqueName = unique('cmg-server');
    const first = await owned
      .api(`/applications(uniqueName='${uniqueName}')`)
      .header('Prefer', 'create-if-missing')
      .patch({ displayName: 'CMG-ServerApp', signInAudience: 'AzureADMyOrg' });
    expect(first).toMatchObject({ uniqueName, displayName: 'CMG-ServerApp', signInAudience: 'AzureADMyOrg' });
    expect(first['@odata.context']).toMatch(/\/v1\.0\/\$metadata#applications\/\$entity$/);
    expect(first.appId).toMatch(/^[0-9a-f-]{36}$/);

    const raw = await owned
      .api(`/applications(uniqueName='${uniqueName}')`)
      .header('Prefer', 'create-if-missing')
      .responseType('raw' as never)
      .patch({ displayName: 'CMG-ServerApp v2' });
    expect((raw as Response).status).toBe(204);

    const list = await owned.api('/applications').filter(`uniqueName eq '${uniqueName}'`).get();
    expect(list.value).toHaveLength(1);
    expect(list.value[0]).toMatchObject({ id: first.id, displayName: 'CMG-ServerApp v2' });
    const tenant = graph.dump(contoso.tenantId)!;
    expect(tenant.applications.filter((a) => a.data.uniqueName === uniqueName)).toHaveLength(1);
  });

  it('answers 404 without Prefer: create-if-missing, and refuses a create without displayName', async () => {
    const missing = await failure(
      owned.api(`/applications(uniqueName='${unique('nope')}')`).patch({ displayName: 'x' }),
    );
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe('Request_ResourceNotFound');
    const noName = await failure(
      owned
        .api(`/applications(uniqueName='${unique('noname')}')`)
        .header('Prefer', 'create-if-missing')
        .patch({ notes: 'n' }),
    );
    expect(noName.statusCode).toBe(400);
    expect(noName.message).toBe("Invalid value specified for property 'displayName' of resource 'Application'.");
  });

  it('renders Graph defaults and merges nested complex properties on PATCH', async () => {
    const app = await owned.api('/applications').post({
      displayName: unique('defaults'),
      web: { homePageUrl: 'https://ConfigMgrService', implicitGrantSettings: { enableIdTokenIssuance: true } },
    });
    expect(app.web).toEqual({
      homePageUrl: 'https://ConfigMgrService',
      logoutUrl: null,
      redirectUris: [],
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: true },
      redirectUriSettings: [],
    });
    expect(app.publicClient).toEqual({ redirectUris: [] });
    expect(app.passwordCredentials).toEqual([]);
    expect(app.publisherDomain).toBe(contoso.initialDomain);
    await owned.api(`/applications/${app.id}`).patch({ web: { redirectUris: ['https://contoso.com/cb'] } });
    const after = await owned.api(`/applications/${app.id}`).get();
    expect(after.web.homePageUrl).toBe('https://ConfigMgrService');
    expect(after.web.implicitGrantSettings.enableIdTokenIssuance).toBe(true);
    expect(after.web.redirectUris).toEqual(['https://contoso.com/cb']);
  });
});

describe('servicePrincipals: upsert by appId', () => {
  it('creates with 201 and updates with 204; the service principal follows its application', async () => {
    const app = await all.api('/applications').post({
      displayName: unique('sp-upsert'),
      appRoles: [
        {
          id: 'a4e3c1f0-3a6b-4c55-9d8e-0f1e2d3c4b5a',
          allowedMemberTypes: ['Application'],
          value: 'Things.Read',
          displayName: 'Read things',
          description: 'Read things',
          isEnabled: true,
        },
      ],
    });
    const created = await all
      .api(`/servicePrincipals(appId='${app.appId}')`)
      .header('Prefer', 'create-if-missing')
      .patch({ tags: ['WindowsAzureActiveDirectoryIntegratedApp'] });
    expect(created).toMatchObject({
      appId: app.appId,
      displayName: app.displayName,
      appOwnerOrganizationId: fabrikam.tenantId,
      tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
      servicePrincipalNames: [app.appId],
    });
    expect(created.appRoles.map((r: { value: string }) => r.value)).toEqual(['Things.Read']);
    const updated = await all
      .api(`/servicePrincipals(appId='${app.appId}')`)
      .header('Prefer', 'create-if-missing')
      .responseType('raw' as never)
      .patch({ notes: 'second' });
    expect((updated as Response).status).toBe(204);
    const list = await all.api('/servicePrincipals').filter(`appId eq '${app.appId}'`).get();
    expect(list.value).toHaveLength(1);
    expect(list.value[0].notes).toBe('second');
    const missing = await failure(
      all.api('/servicePrincipals').post({ appId: '0d2f8c3a-0000-4000-8000-123456789abc' }),
    );
    expect(missing.body.details[0].code).toBe('NoBackingApplicationObject');
  });

  it('refuses to change an enabled app role before it is disabled', async () => {
    const role = {
      id: 'b5e3c1f0-3a6b-4c55-9d8e-0f1e2d3c4b5a',
      allowedMemberTypes: ['Application'],
      value: 'Things.Write',
      displayName: 'Write things',
      description: 'Write things',
      isEnabled: true,
    };
    const app = await all.api('/applications').post({ displayName: unique('roles'), appRoles: [role] });
    const err = await failure(all.api(`/applications/${app.id}`).patch({ appRoles: [] }));
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('CannotDeleteOrUpdateEnabledEntitlement');
    await all.api(`/applications/${app.id}`).patch({ appRoles: [{ ...role, isEnabled: false }] });
    await all.api(`/applications/${app.id}`).patch({ appRoles: [] });
  });
});

describe('applications: body validation against the CSDL', () => {
  it('refuses a misspelled property with 400', async () => {
    const err = await failure(owned.api('/applications').post({ displayNmae: 'typo' }));
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('Request_BadRequest');
    expect(err.message).toBe("Property 'displayNmae' does not exist as a declared property or extension property.");
    expect(err.body.innerError).toEqual(
      expect.objectContaining({
        'request-id': expect.any(String),
        'client-request-id': expect.any(String),
        date: expect.any(String),
      }),
    );
  });

  it('refuses unknown nested properties and wrong types', async () => {
    const nested = await failure(
      owned.api('/applications').post({ displayName: 'x', web: { homepageUrl: 'https://a' } }),
    );
    expect(nested.message).toBe(
      "The property 'homepageUrl' does not exist on type 'microsoft.graph.webApplication'. Make sure to only use property names that are defined by the type.",
    );
    const wrongType = await failure(
      owned.api('/applications').post({ displayName: 'x', isFallbackPublicClient: 'yes' }),
    );
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.message).toMatch(/expected type 'Edm\.Boolean'/);
    const notArray = await failure(owned.api('/applications').post({ displayName: 'x', identifierUris: 'api://x' }));
    expect(notArray.message).toMatch(/A 'StartArray' node was expected/);
    const badGuid = await failure(
      owned.api('/applications').post({
        displayName: 'x',
        requiredResourceAccess: [
          { resourceAppId: GRAPH_APP_ID, resourceAccess: [{ id: 'not-a-guid', type: 'Scope' }] },
        ],
      }),
    );
    expect(badGuid.message).toBe("Cannot convert the literal 'not-a-guid' to the expected type 'Edm.Guid'.");
  });

  it('refuses read-only properties and passwords set through the object', async () => {
    const appId = await failure(owned.api('/applications').post({ displayName: 'x', appId: GRAPH_APP_ID }));
    expect(appId.message).toBe("Property 'appId' is read-only and cannot be set.");
    const secret = await failure(
      owned.api('/applications').post({ displayName: 'x', passwordCredentials: [{ displayName: 'p' }] }),
    );
    expect(secret.message).toBe("Property 'passwordCredentials' is read-only and cannot be set.");
  });
});

describe('applications: identifierUris', () => {
  it('refuses an https App ID URI on an unverified domain with HostNameNotOnVerifiedDomain', async () => {
    for (const uri of ['https://ConfigMgrService', 'https://fabrikam.com/cmg']) {
      const err = await failure(
        owned.api('/applications').post({ displayName: 'CMG-ServerApp', identifierUris: [uri] }),
      );
      expect(err.statusCode).toBe(400);
      expect(err.code).toBe('HostNameNotOnVerifiedDomain');
      expect(err.message).toBe(
        `Values of identifierUris property must use a verified domain of the organization or its subdomain: '${uri}'`,
      );
    }
  });

  it('accepts api://{tenantId}/…, https on a verified domain, and api://{appId}', async () => {
    const a = await owned
      .api('/applications')
      .post({ displayName: 'a', identifierUris: [`api://${contoso.tenantId}/${unique('cmg')}`] });
    const b = await owned
      .api('/applications')
      .post({ displayName: 'b', identifierUris: [`https://contoso.com/${unique('cmg')}`] });
    expect(a.identifierUris).toHaveLength(1);
    expect(b.identifierUris).toHaveLength(1);
    const c = await owned.api('/applications').post({ displayName: 'c' });
    await owned.api(`/applications/${c.id}`).patch({ identifierUris: [`api://${c.appId}`] });
    expect((await owned.api(`/applications/${c.id}`).get()).identifierUris).toEqual([`api://${c.appId}`]);
  });

  it('refuses the same identifierUri on a second app with the real conflict error', async () => {
    const uri = `api://${contoso.tenantId}/${unique('shared')}`;
    await owned.api('/applications').post({ displayName: 'first', identifierUris: [uri] });
    const err = await failure(owned.api('/applications').post({ displayName: 'second', identifierUris: [uri] }));
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('Request_BadRequest');
    expect(err.message).toBe('Another object with the same value for property identifierUris already exists.');
  });
});

describe('permissions', () => {
  it('lets an OwnedBy caller read but not change an application it does not own', async () => {
    const seeded = graph
      .dump(contoso.tenantId)!
      .applications.find((a) => a.data.appId === contoso.provisioner.clientId)!;
    const read = await owned.api(`/applications/${seeded.data.id as string}`).get();
    expect(read.appId).toBe(contoso.provisioner.clientId);
    const patch = await failure(owned.api(`/applications/${seeded.data.id as string}`).patch({ notes: 'mine now' }));
    expect(patch.statusCode).toBe(403);
    expect(patch.code).toBe('Authorization_RequestDenied');
    expect(patch.message).toBe('Insufficient privileges to complete the operation.');
    const secret = await failure(owned.api(`/applications/${seeded.data.id as string}/addPassword`).post({}));
    expect(secret.statusCode).toBe(403);
    const del = await failure(owned.api(`/applications/${seeded.data.id as string}`).delete());
    expect(del.statusCode).toBe(403);
  });

  it('makes an OwnedBy caller the owner of what it creates', async () => {
    const app = await owned.api('/applications').post({ displayName: unique('owned') });
    const owners = await owned.api(`/applications/${app.id}/owners`).get();
    const sp = graph
      .dump(contoso.tenantId)!
      .servicePrincipals.find((s) => s.data.appId === contoso.provisioner.clientId)!;
    expect(owners.value.map((o: { id: string }) => o.id)).toEqual([sp.data.id]);
    expect(owners.value[0]['@odata.type']).toBe('#microsoft.graph.servicePrincipal');
  });

  it('refuses appRoleAssignedTo without AppRoleAssignment.ReadWrite.All (403) and allows it with', async () => {
    const fabrikamGraphSp = await all.api(`/servicePrincipals(appId='${GRAPH_APP_ID}')`).get();
    const app = await all.api('/applications').post({ displayName: unique('needs-role') });
    const sp = await all.api('/servicePrincipals').post({ appId: app.appId });
    const err = await failure(
      all.api(`/servicePrincipals/${fabrikamGraphSp.id}/appRoleAssignedTo`).post({
        principalId: sp.id,
        resourceId: fabrikamGraphSp.id,
        appRoleId: '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
      }),
    );
    expect(err.statusCode).toBe(403);
    expect(err.code).toBe('Authorization_RequestDenied');

    // Contoso's provisioner holds AppRoleAssignment.ReadWrite.All
    const graphSp = await owned.api(`/servicePrincipals(appId='${GRAPH_APP_ID}')`).get();
    const mine = await owned.api('/applications').post({ displayName: unique('gets-role') });
    const mySp = await owned.api('/servicePrincipals').post({ appId: mine.appId });
    const body = { principalId: mySp.id, resourceId: graphSp.id, appRoleId: '7ab1d382-f21e-4acd-a863-ba3e13f7da61' };
    const assignment = await owned.api(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`).post(body);
    expect(assignment).toMatchObject({
      ...body,
      principalType: 'ServicePrincipal',
      resourceDisplayName: 'Microsoft Graph',
    });
    const duplicate = await failure(owned.api(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`).post(body));
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.message).toBe('Permission being assigned already exists on the object.');
    const held = await owned.api(`/servicePrincipals/${mySp.id}/appRoleAssignments`).get();
    expect(held.value.map((a: { id: string }) => a.id)).toEqual([assignment.id]);
    await owned.api(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo/${assignment.id}`).delete();
    expect((await owned.api(`/servicePrincipals/${mySp.id}/appRoleAssignments`).get()).value).toEqual([]);
  });

  it("serves Microsoft Graph's service principal with the real role and scope ids, readable with OwnedBy", async () => {
    const sp = await owned.api(`/servicePrincipals(appId='${GRAPH_APP_ID}')`).get();
    const role = (value: string) => sp.appRoles.find((r: { value: string }) => r.value === value)?.id;
    const scope = (value: string) => sp.oauth2PermissionScopes.find((r: { value: string }) => r.value === value)?.id;
    expect(role('Directory.Read.All')).toBe('7ab1d382-f21e-4acd-a863-ba3e13f7da61');
    expect(role('Application.ReadWrite.OwnedBy')).toBe('18a4783c-866b-4cc7-a460-3d5e5662c884');
    expect(role('Application.ReadWrite.All')).toBe('1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9');
    expect(role('AppRoleAssignment.ReadWrite.All')).toBe('06b708a9-e830-4db3-a914-8e69da51d44f');
    expect(role('DelegatedPermissionGrant.ReadWrite.All')).toBe('8e8e4742-1d95-4f68-9d56-6ee75648c72a');
    expect(scope('User.Read')).toBe('e1fe6dd8-ba31-4d61-89e7-88639da4683d');
  });

  it('rejects a token for another audience with 401 InvalidAuthenticationToken', async () => {
    const cred = emulators.credentialFor(contoso);
    const vaultToken = (await cred.getToken('https://vault.azure.net/.default')).token;
    const res = await fetch(`${graph.url}/v1.0/applications`, {
      headers: { authorization: `Bearer ${vaultToken}`, 'client-request-id': 'c0ffee00-0000-4000-8000-000000000001' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('client-request-id')).toBe('c0ffee00-0000-4000-8000-000000000001');
    expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as Json;
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.message).toBe('Access token validation failure. Invalid audience.');
    expect(body.error.innerError['client-request-id']).toBe('c0ffee00-0000-4000-8000-000000000001');
    const none = await fetch(`${graph.url}/v1.0/applications`);
    expect(((await none.json()) as Json).error.message).toBe('Access token is empty.');
  });

  it('serves the organization (tenant name and verified domains) with Organization.Read.All only', async () => {
    const org = await all.api('/organization').get();
    expect(org.value).toEqual([
      expect.objectContaining({
        id: fabrikam.tenantId,
        displayName: 'Fabrikam',
        verifiedDomains: [expect.objectContaining({ name: fabrikam.initialDomain, isInitial: true, isDefault: true })],
      }),
    ]);
    expect((await failure(owned.api('/organization').get())).statusCode).toBe(403);
  });

  it('accepts tokens for the US Government Graph audience', async () => {
    const cred = emulators.credentialFor(contoso);
    const gov = emulatorGraphClient(graph.url, cred, 'https://graph.microsoft.us/.default');
    const token = decodeJwt((await cred.getToken('https://graph.microsoft.us/.default')).token);
    expect(token.aud).toBe('https://graph.microsoft.us');
    expect((await gov.api('/servicePrincipals').top(1).get()).value).toHaveLength(1);
  });
});

describe('secrets: addPassword and removePassword', () => {
  it('returns the secret once, and the secret signs its app in until removed', async () => {
    const app = await owned
      .api('/applications')
      .post({ displayName: unique('secret'), signInAudience: 'AzureADMyOrg' });
    await owned.api('/servicePrincipals').post({ appId: app.appId });
    const before = Date.now();
    const credential = await owned
      .api(`/applications/${app.id}/addPassword`)
      .post({ passwordCredential: { displayName: 'cmg' } });
    expect(credential.secretText).toHaveLength(40);
    expect(credential.hint).toBe(credential.secretText.slice(0, 3));
    expect(credential.keyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(credential.displayName).toBe('cmg');
    const lifetime = Date.parse(credential.endDateTime) - Date.parse(credential.startDateTime);
    expect(lifetime).toBe(2 * 365 * 24 * 3600 * 1000);
    expect(Date.parse(credential.startDateTime)).toBeGreaterThanOrEqual(before - 1000);

    const stored = await owned.api(`/applications/${app.id}`).get();
    expect(stored.passwordCredentials).toEqual([
      expect.objectContaining({ keyId: credential.keyId, secretText: null, hint: credential.hint }),
    ]);

    const cred = emulatorCredential(entra.url, contoso.tenantId, app.appId, credential.secretText);
    const token = decodeJwt((await cred.getToken('https://graph.microsoft.com/.default')).token);
    expect(token.appid).toBe(app.appId);
    expect(token.roles).toBeUndefined();

    await owned.api(`/applications/${app.id}/removePassword`).post({ keyId: credential.keyId });
    const again = emulatorCredential(entra.url, contoso.tenantId, app.appId, credential.secretText);
    await expect(again.getToken('https://graph.microsoft.com/.default')).rejects.toThrow(/AADSTS7000215/);
  });

  it('needs a service principal before the secret can sign in (AADSTS7000229)', async () => {
    const app = await all.api('/applications').post({ displayName: unique('no-sp') });
    const { secretText } = await all.api(`/applications/${app.id}/addPassword`).post({});
    const cred = emulatorCredential(entra.url, fabrikam.tenantId, app.appId, secretText);
    await expect(cred.getToken('https://graph.microsoft.com/.default')).rejects.toThrow(/AADSTS7000229/);
  });

  it("enforces the tenant's maximum password lifetime", async () => {
    const app = await owned.api('/applications').post({ displayName: unique('policy') });
    const endDateTime = new Date(Date.now() + 3 * 365 * 24 * 3600 * 1000).toISOString();
    const err = await failure(
      owned.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: { endDateTime } }),
    );
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('CredentialInvalidLifetimeAsPerAppPolicy');
    expect(err.message).toMatch(
      /^Credential lifetime exceeds the max value allowed as per assigned policy '[0-9a-f-]{36}'\.$/,
    );
    const oneYear = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();
    const ok = await owned
      .api(`/applications/${app.id}/addPassword`)
      .post({ passwordCredential: { endDateTime: oneYear } });
    expect(Date.parse(ok.endDateTime)).toBe(Date.parse(oneYear));
  });
});

describe('query options', () => {
  it('pages a $filter with $top and @odata.nextLink', async () => {
    const tag = unique('paging');
    for (let i = 0; i < 5; i++) await all.api('/applications').post({ displayName: `${tag}-${i}`, tags: [tag] });
    const pages: string[][] = [];
    let page = await all
      .api('/applications')
      .filter(`tags/any(t:t eq '${tag}')`)
      .top(2)
      .select('displayName,tags')
      .get();
    for (;;) {
      pages.push(page.value.map((a: { displayName: string }) => a.displayName));
      expect(Object.keys(page.value[0]).sort()).toEqual(['displayName', 'tags']);
      if (!page['@odata.nextLink']) break;
      expect(page['@odata.nextLink']).toMatch(/\$skiptoken=/);
      page = await all.api(page['@odata.nextLink']).get();
    }
    expect(pages).toEqual([[`${tag}-0`, `${tag}-1`], [`${tag}-2`, `${tag}-3`], [`${tag}-4`]]);
    const starts = await all.api('/applications').filter(`startswith(displayName,'${tag}-4')`).get();
    expect(starts.value).toHaveLength(1);
  });

  it('counts only as an advanced query (ConsistencyLevel: eventual)', async () => {
    const err = await failure(all.api('/applications').count(true).get());
    expect(err.statusCode).toBe(400);
    expect(err.message).toBe('$count is not currently supported.');
    const counted = await all.api('/applications').header('ConsistencyLevel', 'eventual').count(true).top(1).get();
    expect(counted['@odata.count']).toBeGreaterThan(1);
    const ne = await failure(all.api('/applications').filter("displayName ne 'x'").get());
    expect(ne.code).toBe('Request_UnsupportedQuery');
    const unknown = await failure(all.api('/applications').select('displayName,publisherName').get());
    expect(unknown.message).toBe(
      "Property 'publisherName' does not exist as a declared property or extension property.",
    );
  });
});

describe('oauth2PermissionGrants and owners', () => {
  it('creates, filters, updates and deletes a delegated grant; a duplicate is refused', async () => {
    const server = await owned.api('/applications').post({ displayName: unique('server') });
    const client = await owned.api('/applications').post({ displayName: unique('client') });
    const serverSp = await owned.api('/servicePrincipals').post({ appId: server.appId });
    const clientSp = await owned.api('/servicePrincipals').post({ appId: client.appId });
    const body = {
      clientId: clientSp.id,
      consentType: 'AllPrincipals',
      resourceId: serverSp.id,
      scope: 'user_impersonation',
    };
    const grant = await owned.api('/oauth2PermissionGrants').post(body);
    expect(grant).toMatchObject({ ...body, principalId: null });
    const dup = await failure(owned.api('/oauth2PermissionGrants').post(body));
    expect(dup.statusCode).toBe(409);
    expect(dup.code).toBe('Request_MultipleObjectsWithSameKeyValue');
    const found = await owned
      .api('/oauth2PermissionGrants')
      .filter(`clientId eq '${clientSp.id}' and resourceId eq '${serverSp.id}'`)
      .get();
    expect(found.value.map((g: { id: string }) => g.id)).toEqual([grant.id]);
    await owned.api(`/oauth2PermissionGrants/${grant.id}`).patch({ scope: 'user_impersonation other' });
    expect((await owned.api(`/oauth2PermissionGrants/${grant.id}`).get()).scope).toBe('user_impersonation other');
    await owned.api(`/oauth2PermissionGrants/${grant.id}`).delete();
    expect((await owned.api('/oauth2PermissionGrants').filter(`clientId eq '${clientSp.id}'`).get()).value).toEqual([]);
    const denied = await failure(all.api('/oauth2PermissionGrants').get());
    expect(denied.statusCode).toBe(403);
  });

  it('adds, lists and removes owners with $ref', async () => {
    const app = await all.api('/applications').post({ displayName: unique('owners') });
    const sp = graph
      .dump(fabrikam.tenantId)!
      .servicePrincipals.find((s) => s.data.appId === fabrikam.provisioner.clientId)!;
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${sp.data.id as string}` };
    await all.api(`/applications/${app.id}/owners/$ref`).post(ref);
    expect((await all.api(`/applications/${app.id}/owners`).get()).value.map((o: { id: string }) => o.id)).toEqual([
      sp.data.id,
    ]);
    const again = await failure(all.api(`/applications/${app.id}/owners/$ref`).post(ref));
    expect(again.message).toBe(
      "One or more added object references already exist for the following modified properties: 'owners'.",
    );
    await all.api(`/applications/${app.id}/owners/${sp.data.id as string}/$ref`).delete();
    expect((await all.api(`/applications/${app.id}/owners`).get()).value).toEqual([]);
  });
});

describe('deleted items', () => {
  it('soft-deletes to directory/deletedItems, keeps the App ID URI reserved, restores and purges', async () => {
    const uri = `api://${fabrikam.tenantId}/${unique('deleted')}`;
    const app = await all.api('/applications').post({ displayName: 'to delete', identifierUris: [uri] });
    await all.api(`/applications/${app.id}`).delete();
    expect((await failure(all.api(`/applications/${app.id}`).get())).statusCode).toBe(404);
    const deleted = await all.api('/directory/deletedItems/microsoft.graph.application').get();
    const item = deleted.value.find((d: { id: string }) => d.id === app.id);
    expect(item['@odata.type']).toBe('#microsoft.graph.application');
    expect(item.deletedDateTime).toEqual(expect.any(String));
    const conflict = await failure(all.api('/applications').post({ displayName: 'reuse', identifierUris: [uri] }));
    expect(conflict.message).toBe('Another object with the same value for property identifierUris already exists.');
    const restored = await all.api(`/directory/deletedItems/${app.id}/restore`).post({});
    expect(restored).toMatchObject({
      id: app.id,
      deletedDateTime: null,
      '@odata.type': '#microsoft.graph.application',
    });
    expect((await all.api(`/applications/${app.id}`).get()).identifierUris).toEqual([uri]);
    await all.api(`/applications/${app.id}`).delete();
    await all.api(`/directory/deletedItems/${app.id}`).delete();
    expect((await failure(all.api(`/directory/deletedItems/${app.id}`).get())).statusCode).toBe(404);
    await all.api('/applications').post({ displayName: 'reuse', identifierUris: [uri] });
  });
});
