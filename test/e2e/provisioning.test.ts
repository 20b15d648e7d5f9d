import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { QueueServiceClient } from '@azure/storage-queue';
import { eventually, RunningStack, startStack } from '../support/stack';

/**
 * Issue 4's acceptance, through the local host's HTTP endpoint, Azurite and the emulators: a CMG ticket ends
 * Succeeded and both apps match every setting the seeds prescribe.
 */

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const DIRECTORY_READ_ALL = '7ab1d382-f21e-4acd-a863-ba3e13f7da61';
const USER_READ = 'e1fe6dd8-ba31-4d61-89e7-88639da4683d';

type Json = Record<string, any>;

interface Dump {
  applications: { data: Json }[];
  servicePrincipals: { data: Json }[];
  appRoleAssignments: { data: Json }[];
  oauth2PermissionGrants: { data: Json }[];
}

let stack: RunningStack;
let tenantId: string;
let registration: Json;
let server: Json;
let client: Json;
let dump: Dump;
let secretValue: string;

const ticket = (overrides: Json = {}): Json => ({
  ticketId: 'CHG-E2E-1',
  requestedBy: 'jane.admin@contoso.com',
  service: 'CloudManagement',
  action: 'create',
  tenantId,
  tenantName: 'contoso.onmicrosoft.com',
  cloud: 'AzurePublicCloud',
  serverApp: { displayName: 'CMG-ServerApp', appIdUri: `api://${tenantId}/CMG-ServerApp` },
  clientApp: { displayName: 'CMG-ClientApp' },
  ...overrides,
});

const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  stack.api('/registrations', {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function untilFinished(id: string, timeoutMs = 60_000): Promise<Json> {
  return eventually(
    async () => {
      const r = (await stack.api(`/registrations/${id}`)).json as Json;
      return r.status === 'Succeeded' || r.status === 'Failed' ? r : undefined;
    },
    timeoutMs,
    `registration ${id} to finish`,
  );
}

async function graphDump(): Promise<Dump> {
  return (await stack.admin(`${stack.info.emulators.graphAdmin}/tenants/${tenantId}/objects`)) as Dump;
}

beforeAll(async () => {
  stack = await startStack();
  tenantId = stack.info.tenants[0]!.tenantId;
  const res = await post(ticket());
  expect(res.status).toBe(202);
  registration = await untilFinished((res.json as Json).id);
  dump = await graphDump();
  const byId = (appId: string) => dump.applications.find((a) => a.data.appId === appId)!.data;
  server = byId(registration.objects.serverApp.appId);
  client = byId(registration.objects.clientApp.appId);
  const p = stack.info.provisioner;
  const kv = new SecretClient(
    stack.info.emulators.keyVault,
    new ClientSecretCredential(p.homeTenantId, p.clientId, p.clientSecret, {
      authorityHost: stack.info.emulators.entra,
      disableInstanceDiscovery: true,
    }),
    { disableChallengeResourceVerification: true },
  );
  const ref = registration.secret.keyVaultSecretId as string;
  const [, name, version] = /\/secrets\/([^/]+)\/([^/]+)$/.exec(ref)!;
  secretValue = (await kv.getSecret(name!, { version: version! })).value!;
}, 120_000);

afterAll(async () => {
  expect(await stack?.stop()).toBe(0);
});

describe('a CloudManagement ticket', () => {
  it('ends Succeeded with every step Succeeded', () => {
    expect(registration.status).toBe('Succeeded');
    expect(registration.steps.map((s: Json) => [s.name, s.status])).toEqual(
      registration.steps.map((s: Json) => [s.name, 'Succeeded']),
    );
  });

  it('creates exactly one server app and one client app', () => {
    // the two, and the provisioner's own registration (the API's own app and its callers aside)
    const apiApps = [stack.info.api.appId, ...Object.values(stack.info.api.callers).map((c) => c.clientId)];
    expect(dump.applications.filter((a) => !apiApps.includes(a.data.appId as string))).toHaveLength(3);
    expect(server.displayName).toBe('CMG-ServerApp');
    expect(client.displayName).toBe('CMG-ClientApp');
  });
});

describe('server (web) app, as seed 000 prescribes', () => {
  it('is single-tenant (AzureADMyOrg)', () => expect(server.signInAudience).toBe('AzureADMyOrg'));
  it('has exactly the requested App ID URI', () =>
    expect(server.identifierUris).toEqual([`api://${tenantId}/CMG-ServerApp`]));
  it('has the wizard’s default HomePage URL', () => expect(server.web.homePageUrl).toBe('https://ConfigMgrService'));
  it('registers http://localhost as its public client redirect URI', () =>
    expect(server.publicClient.redirectUris).toEqual(['http://localhost']));
  it('issues ID tokens (oauth2AllowIdTokenImplicitFlow)', () =>
    expect(server.web.implicitGrantSettings.enableIdTokenIssuance).toBe(true));

  describe('exposes one scope, user_impersonation', () => {
    const scope = (): Json => server.api.oauth2PermissionScopes[0];
    it('one scope only', () => expect(server.api.oauth2PermissionScopes).toHaveLength(1));
    it('value user_impersonation', () => expect(scope().value).toBe('user_impersonation'));
    it('consent by admins and users (type User)', () => expect(scope().type).toBe('User'));
    it('enabled', () => expect(scope().isEnabled).toBe(true));
    it('admin consent display name', () => expect(scope().adminConsentDisplayName).toBe('Access CMG-ServerApp'));
    it('admin consent description', () =>
      expect(scope().adminConsentDescription).toBe(
        'Allow the application to access CMG-ServerApp on behalf of the signed-in user.',
      ));
    it('a GUID id', () => expect(scope().id).toMatch(/^[0-9a-f-]{36}$/));
  });

  it('requests Directory.Read.All (application permission) and not User.Read from Microsoft Graph', () => {
    const graph = server.requiredResourceAccess.find((r: Json) => r.resourceAppId === GRAPH_APP_ID);
    expect(graph.resourceAccess).toEqual([{ id: DIRECTORY_READ_ALL, type: 'Role' }]);
  });

  it('holds admin consent for Directory.Read.All (an app role assignment to Microsoft Graph)', () => {
    const serverSp = registration.objects.serverServicePrincipal.objectId;
    const graphSp = dump.servicePrincipals.find((s) => s.data.appId === GRAPH_APP_ID)!.data.id;
    expect(
      dump.appRoleAssignments.filter(
        (a) =>
          a.data.principalId === serverSp && a.data.resourceId === graphSp && a.data.appRoleId === DIRECTORY_READ_ALL,
      ),
    ).toHaveLength(1);
  });

  it('has a service principal', () =>
    expect(dump.servicePrincipals.filter((s) => s.data.appId === server.appId)).toHaveLength(1));
});

describe('client (native) app, as seed 000 prescribes', () => {
  it('is single-tenant (AzureADMyOrg)', () => expect(client.signInAudience).toBe('AzureADMyOrg'));
  it('redirects to the broker with its own appId', () =>
    expect(client.publicClient.redirectUris).toEqual([`ms-appx-web://Microsoft.AAD.BrokerPlugin/${client.appId}`]));
  it('allows public client flows', () => expect(client.isFallbackPublicClient).toBe(true));
  it('issues ID tokens', () => expect(client.web.implicitGrantSettings.enableIdTokenIssuance).toBe(true));
  it('requests the server app’s user_impersonation scope', () => {
    const scopeId = server.api.oauth2PermissionScopes[0].id;
    const access = client.requiredResourceAccess.find((r: Json) => r.resourceAppId === server.appId);
    expect(access.resourceAccess).toEqual([{ id: scopeId, type: 'Scope' }]);
  });
  it('keeps Graph User.Read (delegated)', () => {
    const access = client.requiredResourceAccess.find((r: Json) => r.resourceAppId === GRAPH_APP_ID);
    expect(access.resourceAccess).toEqual([{ id: USER_READ, type: 'Scope' }]);
  });
  it('has admin consent for user_impersonation for all users (AllPrincipals grant on the server app)', () => {
    const grants = dump.oauth2PermissionGrants.filter(
      (g) =>
        g.data.clientId === registration.objects.clientServicePrincipal.objectId &&
        g.data.resourceId === registration.objects.serverServicePrincipal.objectId,
    );
    expect(grants).toHaveLength(1);
    expect(grants[0]!.data.consentType).toBe('AllPrincipals');
    expect(grants[0]!.data.scope.split(' ')).toContain('user_impersonation');
  });
  it('has a service principal', () =>
    expect(dump.servicePrincipals.filter((s) => s.data.appId === client.appId)).toHaveLength(1));
});

describe('the server app’s secret', () => {
  it('is one password credential, the one Key Vault holds, valid one year', () => {
    expect(server.passwordCredentials).toHaveLength(1);
    const credential = server.passwordCredentials[0];
    expect(credential.keyId).toBe(registration.secret.keyId);
    expect(new Date(credential.endDateTime).toISOString()).toBe(registration.secret.expiresOn);
    const years = (Date.parse(credential.endDateTime) - Date.parse(registration.createdAt)) / (365.25 * 86400_000);
    expect(Math.round(years)).toBe(1);
  });

  it('works: it signs the server app in to its tenant', async () => {
    const credential = new ClientSecretCredential(tenantId, server.appId, secretValue, {
      authorityHost: stack.info.emulators.entra,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    expect(token.token.split('.')).toHaveLength(3);
  });
});

describe('what Configuration Manager gets back', () => {
  it('the Import dialogs’ values and where the secret is, with its expiry', () => {
    expect(registration.outputs.serverApp).toMatchObject({
      tenantName: 'contoso.onmicrosoft.com',
      tenantId,
      applicationName: 'CMG-ServerApp',
      clientId: server.appId,
      appIdUri: `api://${tenantId}/CMG-ServerApp`,
      secretKeyExpiry: registration.secret.expiresOn,
    });
    expect(registration.outputs.clientApp).toEqual({ applicationName: 'CMG-ClientApp', clientId: client.appId });
  });

  it('the ccmsetup.exe properties', () => {
    expect(registration.outputs.ccmsetup).toMatchObject({
      AADTENANTID: tenantId,
      AADCLIENTAPPID: client.appId,
      AADRESOURCEURI: `api://${tenantId}/CMG-ServerApp`,
    });
  });

  it('a PowerShell script that reads the secret from Key Vault and imports both apps', () => {
    const ps = registration.outputs.powershell as string;
    expect(ps).toContain('Get-AzKeyVaultSecret');
    expect(ps).toContain('Import-CMAADServerApplication');
    expect(ps).toContain('Import-CMAADClientApplication');
    expect(ps).toContain('-ServerApp $serverApp');
    expect(ps).toContain('New-CMCloudManagementAzureService');
    expect(ps).toContain(`-ClientId '${server.appId}'`);
  });
});

describe('the intake API', () => {
  it('answers 202 with Location and statusUrl for a new ticket', async () => {
    const res = await post(ticket({ ticketId: 'CHG-E2E-LOCATION' }));
    expect(res.status).toBe(202);
    const body = res.json as Json;
    expect(body).toEqual({ id: expect.any(String), status: 'Accepted', statusUrl: res.headers.get('location') });
    expect(body.statusUrl).toBe(`${stack.info.functions.api}/registrations/${body.id}`);
  });

  it('returns the existing request (200) for the same ticket and body', async () => {
    const res = await post(ticket());
    expect(res.status).toBe(200);
    expect((res.json as Json).id).toBe(registration.id);
  });

  it('answers 409 problem+json for the same ticket with another body', async () => {
    const res = await post(ticket({ clientApp: { displayName: 'Other-ClientApp' } }));
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((res.json as Json).code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('lists every invalid field in one 400 problem+json, and writes nothing', async () => {
    const before = ((await stack.api('/registrations?top=100')).json as Json).items.length;
    const res = await post({
      ...ticket({ ticketId: 'CHG-BAD' }),
      tenantId: 'not-a-guid',
      serverApp: { displayName: '', appIdUri: 'https://ConfigMgrService' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const fields = ((res.json as Json).errors as Json[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['/tenantId', '/serverApp/displayName', '/serverApp/appIdUri']));
    expect(((await stack.api('/registrations?top=100')).json as Json).items.length).toBe(before);
  });

  it('answers 422 naming the rule for something the service does not support', async () => {
    const res = await post(ticket({ ticketId: 'CHG-422', service: 'LogAnalyticsConnector', clientApp: undefined }));
    expect(res.status).toBe(422);
    expect((res.json as Json).code).toBe('SERVICE_RULES_VIOLATED');
    expect((res.json as Json).errors.length).toBeGreaterThan(0);
  });

  it('refuses a body that is not JSON (415), too large (413) or malformed (400)', async () => {
    expect((await post(ticket(), { 'content-type': 'text/plain' })).status).toBe(415);
    const big = JSON.stringify({ ...ticket(), padding: 'x'.repeat(70 * 1024) });
    expect((await post(big)).status).toBe(413);
    const malformed = await post('{"ticketId": ');
    expect(malformed.status).toBe(400);
    expect((malformed.json as Json).code).toBe('MALFORMED_JSON');
  });

  it('answers 404 problem+json for an unknown request', async () => {
    const res = await stack.api('/registrations/00000000-0000-0000-0000-000000000000');
    expect(res.status).toBe(404);
    expect((res.json as Json).code).toBe('REGISTRATION_NOT_FOUND');
  });

  it('lists requests by status, tenant and ticket, paged with a continuation token', async () => {
    for (const n of [1, 2, 3]) await post(ticket({ ticketId: `CHG-PAGE-${n}` }));
    const first = (await stack.api(`/registrations?tenantId=${tenantId}&top=2`)).json as Json;
    expect(first.items).toHaveLength(2);
    expect(first.continuationToken).toEqual(expect.any(String));
    const second = (
      await stack.api(
        `/registrations?tenantId=${tenantId}&top=2&continuationToken=${encodeURIComponent(first.continuationToken)}`,
      )
    ).json as Json;
    expect(second.items.length).toBeGreaterThan(0);
    const ids = [...first.items, ...second.items].map((i: Json) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byTicket = (await stack.api('/registrations?ticketId=CHG-E2E-1')).json as Json;
    expect(byTicket.items.map((i: Json) => i.id)).toEqual([registration.id]);
    expect((await stack.api('/registrations?status=Bogus')).status).toBe(400);
  });

  it('serves an OpenAPI document generated from the validating schema', async () => {
    const doc = (await stack.api('/openapi.json')).json as Json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.RegistrationRequest.required).toEqual(expect.arrayContaining(['ticketId']));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/registrations', '/registrations/{id}']));
  });
});

describe('failure and retry', () => {
  it('fails a request Graph refuses (App ID URI on an unverified domain) with the reason, and retries it on demand', async () => {
    const res = await post(
      ticket({
        ticketId: 'CHG-E2E-FAIL',
        serverApp: { displayName: 'CMG-Fail', appIdUri: 'https://unverified.example.org/cmg' },
      }),
    );
    expect(res.status).toBe(202);
    const failed = await untilFinished((res.json as Json).id);
    expect(failed.status).toBe('Failed');
    const step = failed.steps.find((s: Json) => s.name === 'serverApp');
    expect(step.status).toBe('Failed');
    expect(step.lastError.message).toMatch(/HostNameNotOnVerifiedDomain/);
    expect(failed.links.retry).toBe(`${failed.links.self}/retry`);

    const retried = await stack.api(`/registrations/${failed.id}/retry`, { method: 'POST' });
    expect(retried.status).toBe(202);
    const again = await untilFinished(failed.id);
    expect(again.steps.find((s: Json) => s.name === 'serverApp').attempts).toBe(2);
    expect((await stack.api(`/registrations/${registration.id}/retry`, { method: 'POST' })).status).toBe(409);
  });
});

describe('secret hygiene', () => {
  it('the secret value appears nowhere but Key Vault: not in HTTP responses, logs, table rows or queue messages', async () => {
    expect(secretValue.length).toBeGreaterThan(10);
    for (const body of stack.responses) expect(body.includes(secretValue)).toBe(false);
    expect(stack.output().includes(secretValue)).toBe(false);

    const table = TableClient.fromConnectionString(stack.info.azurite.connectionString, 'registrations', {
      allowInsecureConnection: true,
    });
    let rows = 0;
    for await (const entity of table.listEntities()) {
      rows++;
      expect(JSON.stringify(entity).includes(secretValue)).toBe(false);
    }
    expect(rows).toBeGreaterThan(0);

    const queues = QueueServiceClient.fromConnectionString(stack.info.azurite.connectionString);
    for await (const q of queues.listQueues()) {
      const peeked = await queues.getQueueClient(q.name).peekMessages({ numberOfMessages: 32 });
      for (const m of peeked.peekedMessageItems) {
        const decoded = Buffer.from(m.messageText, 'base64').toString('utf8');
        expect(m.messageText.includes(secretValue) || decoded.includes(secretValue)).toBe(false);
      }
    }
  });
});
