import { ClientSecretCredential } from '@azure/identity';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { ensureDevCertificates } from '../../../dev/certs';
import { sampleTenants, type TenantSeed } from '../../../dev/emulators/directory';
import { startEntraEmulator, type EntraEmulator } from '../../../dev/emulators/entra';

const [contoso, fabrikam] = sampleTenants() as [TenantSeed, TenantSeed];
const GRAPH = 'https://graph.microsoft.com/.default';

let entra: EntraEmulator;

function credential(tenant: string, clientId: string, secret: string): ClientSecretCredential {
  return new ClientSecretCredential(tenant, clientId, secret, {
    authorityHost: entra.url,
    disableInstanceDiscovery: true,
  });
}

async function postToken(tenant: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${entra.url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const tls = await ensureDevCertificates();
  entra = await startEntraEmulator({ tenants: [contoso, fabrikam], tls });
});

afterAll(async () => {
  await entra.close();
});

describe('Entra emulator through @azure/identity', () => {
  it('issues a Graph token to ClientSecretCredential with the app roles granted to the service principal', async () => {
    const cred = credential(contoso.tenantId, contoso.provisioner.clientId, contoso.provisioner.clientSecret);
    const token = await cred.getToken(GRAPH);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000 * 1000);
    const header = decodeProtectedHeader(token.token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(typeof header.kid).toBe('string');
    const claims = decodeJwt(token.token);
    const tenant = entra.directory.resolveTenant(contoso.tenantId)!;
    const sp = tenant.servicePrincipalByAppId(contoso.provisioner.clientId)!;
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      tid: contoso.tenantId,
      oid: sp.data.id,
      sub: sp.data.id,
      appid: contoso.provisioner.clientId,
      azp: contoso.provisioner.clientId,
      idtyp: 'app',
      iss: `${entra.url}/${contoso.tenantId}/v2.0`,
    });
    expect(claims.roles).toEqual([...contoso.provisioner.graphAppRoles].sort());
    expect(claims.exp! - claims.iat!).toBe(3599);
    expect(claims.nbf).toBeLessThanOrEqual(claims.iat!);
  });

  it("publishes openid-configuration whose issuer and jwks_uri verify the tokens (what Key Vault's check does)", async () => {
    const res = await fetch(`${entra.url}/${contoso.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const config = (await res.json()) as Record<string, string>;
    expect(config.token_endpoint).toBe(`${entra.url}/${contoso.tenantId}/oauth2/v2.0/token`);
    expect(config.jwks_uri).toBe(`${entra.url}/${contoso.tenantId}/discovery/v2.0/keys`);
    expect(config.authorization_endpoint).toBe(`${entra.url}/${contoso.tenantId}/oauth2/v2.0/authorize`);

    const cred = credential(contoso.tenantId, contoso.provisioner.clientId, contoso.provisioner.clientSecret);
    const token = await cred.getToken('https://vault.azure.net/.default');
    const jwks = createRemoteJWKSet(new URL(config.jwks_uri!));
    const { payload } = await jwtVerify(token.token, jwks, {
      issuer: config.issuer,
      audience: 'https://vault.azure.net',
    });
    expect(payload.tid).toBe(contoso.tenantId);
    expect(payload.roles).toBeUndefined(); // no app roles on Key Vault: Entra omits the claim
  });

  it('accepts a verified domain as the tenant and resolves it to the tenant id', async () => {
    const cred = credential('contoso.com', contoso.provisioner.clientId, contoso.provisioner.clientSecret);
    const claims = decodeJwt((await cred.getToken(GRAPH)).token);
    expect(claims.tid).toBe(contoso.tenantId);
    const config = (await (
      await fetch(`${entra.url}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
    };
    expect(config.issuer).toBe(`${entra.url}/${contoso.tenantId}/v2.0`);
  });

  it('keeps tenants apart: a client of one tenant is unknown in another (AADSTS700016)', async () => {
    const { status, body } = await postToken(fabrikam.tenantId, {
      grant_type: 'client_credentials',
      client_id: contoso.provisioner.clientId,
      client_secret: contoso.provisioner.clientSecret,
      scope: GRAPH,
    });
    expect(status).toBe(400);
    expect(body.error).toBe('unauthorized_client');
    expect(body.error_codes).toEqual([700016]);
    expect(body.error_description).toMatch(
      new RegExp(
        `^AADSTS700016: Application with identifier '${contoso.provisioner.clientId}' was not found in the directory 'Fabrikam'`,
      ),
    );
  });
});

describe('Entra emulator errors', () => {
  it('refuses a wrong secret with 401 invalid_client AADSTS7000215 in the real shape', async () => {
    const { status, body } = await postToken(
      contoso.tenantId,
      {
        grant_type: 'client_credentials',
        client_id: contoso.provisioner.clientId,
        client_secret: 'wrong',
        scope: GRAPH,
      },
      { 'client-request-id': '11111111-2222-4333-8444-555555555555' },
    );
    expect(status).toBe(401);
    expect(body).toMatchObject({
      error: 'invalid_client',
      error_codes: [7000215],
      correlation_id: '11111111-2222-4333-8444-555555555555',
    });
    expect(body.error_description).toMatch(
      /^AADSTS7000215: Invalid client secret provided\. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '[0-9a-f-]+'\.\r\nTrace ID: [0-9a-f-]+\r\nCorrelation ID: 11111111-2222-4333-8444-555555555555\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
    );
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(typeof body.trace_id).toBe('string');
  });

  it('surfaces AADSTS7000215 through ClientSecretCredential', async () => {
    const cred = credential(contoso.tenantId, contoso.provisioner.clientId, 'not-the-secret');
    await expect(cred.getToken(GRAPH)).rejects.toThrow(/AADSTS7000215/);
  });

  it('answers an unknown tenant with AADSTS90002 on the token endpoint and on discovery', async () => {
    const unknown = '00000000-1111-4222-8333-444444444444';
    const { status, body } = await postToken(unknown, {
      grant_type: 'client_credentials',
      client_id: contoso.provisioner.clientId,
      client_secret: contoso.provisioner.clientSecret,
      scope: GRAPH,
    });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_codes).toEqual([90002]);
    expect(body.error_description).toMatch(new RegExp(`^AADSTS90002: Tenant '${unknown}' not found\\.`));

    const discovery = await fetch(`${entra.url}/${unknown}/v2.0/.well-known/openid-configuration`);
    expect(discovery.status).toBe(400);
    expect(((await discovery.json()) as { error: string }).error).toBe('invalid_tenant');

    const cred = credential(unknown, contoso.provisioner.clientId, contoso.provisioner.clientSecret);
    await expect(cred.getToken(GRAPH)).rejects.toThrow();
  });

  it('requires a /.default scope for client credentials (AADSTS1002012) and a known resource (AADSTS500011)', async () => {
    const base = {
      grant_type: 'client_credentials',
      client_id: contoso.provisioner.clientId,
      client_secret: contoso.provisioner.clientSecret,
    };
    const notDefault = await postToken(contoso.tenantId, { ...base, scope: 'https://graph.microsoft.com/User.Read' });
    expect(notDefault.status).toBe(400);
    expect(notDefault.body.error_codes).toEqual([1002012]);
    const unknownResource = await postToken(contoso.tenantId, { ...base, scope: 'api://nothing-here/.default' });
    expect(unknownResource.status).toBe(400);
    expect(unknownResource.body.error).toBe('invalid_resource');
    expect(unknownResource.body.error_codes).toEqual([500011]);
  });

  it('refuses an expired secret with AADSTS7000222, and one still replicating with AADSTS7000215', async () => {
    const tenant = entra.directory.resolveTenant(fabrikam.tenantId)!;
    const app = tenant.applicationByAppId(fabrikam.provisioner.clientId)!;
    const now = Date.now();
    const expiring = entra.directory.addPassword(tenant, app, {
      startDateTime: new Date(now - 60_000).toISOString(),
      endDateTime: new Date(now + 600).toISOString(),
    });
    const replicating = entra.directory.addPassword(tenant, app, { activeAtMs: now + 600 });
    const form = (secret: string) => ({
      grant_type: 'client_credentials',
      client_id: fabrikam.provisioner.clientId,
      client_secret: secret,
      scope: GRAPH,
    });
    expect((await postToken(fabrikam.tenantId, form(expiring.secretText))).status).toBe(200);
    expect((await postToken(fabrikam.tenantId, form(replicating.secretText))).body.error_codes).toEqual([7000215]);
    await new Promise((r) => setTimeout(r, 700));
    const expired = await postToken(fabrikam.tenantId, form(expiring.secretText));
    expect(expired.status).toBe(401);
    expect(expired.body.error_codes).toEqual([7000222]);
    expect(expired.body.error_description).toMatch(
      /^AADSTS7000222: The provided client secret keys for app '[0-9a-f-]+' are expired\./,
    );
    expect((await postToken(fabrikam.tenantId, form(replicating.secretText))).status).toBe(200);
  });

  it('logs token calls with tenant and client', async () => {
    entra.clearCalls();
    await postToken(contoso.tenantId, {
      grant_type: 'client_credentials',
      client_id: contoso.provisioner.clientId,
      client_secret: 'x',
      scope: GRAPH,
    });
    const [call] = entra.calls();
    expect(call).toMatchObject({
      method: 'POST',
      status: 401,
      tenant: contoso.tenantId,
      clientId: contoso.provisioner.clientId,
      error: 'AADSTS7000215',
    });
  });
});
