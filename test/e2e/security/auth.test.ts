import { RunningStack, startStack } from '../../support/stack';

/**
 * Callers, through the local host: every protected endpoint refuses a call without an identity (401) and a caller
 * without the app role (403), both as problem+json; tokens come from the Entra emulator's client-credentials
 * endpoint with the roles assigned on the API app.
 */

type Json = Record<string, any>;
let stack: RunningStack;
let tenantId: string;

const ticket = (ticketId: string, overrides: Json = {}): Json => ({
  ticketId,
  requestedBy: 'jane.admin@contoso.com',
  service: 'CloudManagement',
  action: 'create',
  tenantId,
  tenantName: 'contoso.onmicrosoft.com',
  cloud: 'AzurePublicCloud',
  serverApp: { displayName: `CMG-${ticketId}`, appIdUri: `api://${tenantId}/${ticketId}` },
  clientApp: { displayName: `CMG-Client-${ticketId}` },
  ...overrides,
});

const ID = '00000000-0000-4000-8000-000000000000';
const PROTECTED: { method: string; path: string; body?: Json }[] = [
  { method: 'POST', path: '/registrations', body: {} },
  { method: 'GET', path: '/registrations' },
  { method: 'GET', path: `/registrations/${ID}` },
  { method: 'POST', path: `/registrations/${ID}/retry` },
];

beforeAll(async () => {
  stack = await startStack();
  tenantId = stack.info.tenants[0]!.tenantId;
}, 90_000);
afterAll(async () => {
  await stack?.stop();
});

const call = (e: { method: string; path: string; body?: Json }, init: Parameters<RunningStack['api']>[1] = {}) =>
  stack.api(e.path, {
    method: e.method,
    ...(e.body ? { body: JSON.stringify(e.body), headers: { 'content-type': 'application/json' } } : {}),
    ...init,
  });

function expectProblem(res: { status: number; headers: Headers; json: unknown }, status: number, code: string): void {
  expect({ status: res.status, type: res.headers.get('content-type'), code: (res.json as Json)?.code }).toEqual({
    status,
    type: 'application/problem+json',
    code,
  });
}

describe('authentication', () => {
  it.each(PROTECTED)('$method $path without a token is 401 problem+json with WWW-Authenticate', async (e) => {
    const res = await call(e, { as: 'none' });
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('refuses a forged, a tampered and a wrong-audience token', async () => {
    const good = await stack.token('admin');
    const [h, p] = good.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Json;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, roles: ['Registrations.Admin', 'x'] })).toString(
      'base64url',
    );
    const tampered = `${h}.${forgedPayload}.${good.split('.')[2]}`;
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    // A real token from the same tenant, but for Microsoft Graph: not this API's audience.
    const { clientId, clientSecret } = stack.info.api.callers.admin;
    const graphToken = (
      (await (
        await fetch(stack.info.api.tokenUrl, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: clientId,
            client_secret: clientSecret,
            scope: 'https://graph.microsoft.com/.default',
          }),
        })
      ).json()) as Json
    ).access_token as string;
    for (const token of [tampered, unsigned, graphToken, 'not-a-jwt']) {
      const res = await stack.api('/registrations', { headers: { authorization: `Bearer ${token}` } });
      expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    }
  });

  it('ignores an App Service principal header when App Service Authentication is not trusted', async () => {
    const principal = Buffer.from(
      JSON.stringify({
        auth_typ: 'aad',
        claims: [
          { typ: 'oid', val: ID },
          { typ: 'tid', val: tenantId },
          { typ: 'roles', val: 'Registrations.Admin' },
        ],
      }),
    ).toString('base64');
    const res = await stack.api('/registrations', { as: 'none', headers: { 'x-ms-client-principal': principal } });
    expectProblem(res, 401, 'UNAUTHENTICATED');
  });

  it('leaves health and the OpenAPI document anonymous', async () => {
    expect((await stack.api('/health', { as: 'none' })).status).toBe(200);
    const doc = (await stack.api('/openapi.json', { as: 'none' })).json as Json;
    expect(doc.components.securitySchemes.entra).toMatchObject({ type: 'oauth2' });
  });
});

describe('authorization by app role', () => {
  it.each(PROTECTED)('$method $path with a token that has no role is 403 problem+json', async (e) => {
    expectProblem(await call(e, { as: 'noRole' }), 403, 'FORBIDDEN_ROLE');
  });

  it('lets ITSM submit and read, but not retry (Registrations.Admin)', async () => {
    const submitted = await stack.api('/registrations', {
      as: 'itsm',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ticket('CHG-AUTH-1')),
    });
    expect(submitted.status).toBe(202);
    const id = (submitted.json as Json).id as string;
    expect((await stack.api(`/registrations/${id}`, { as: 'itsm' })).status).toBe(200);
    expect((await stack.api('/registrations', { as: 'itsm' })).status).toBe(200);
    expectProblem(await stack.api(`/registrations/${id}/retry`, { as: 'itsm', method: 'POST' }), 403, 'FORBIDDEN_ROLE');
    // The admin gets past authorization: the request is not Failed, so retry is a 409 (not a 403).
    expect((await stack.api(`/registrations/${id}/retry`, { as: 'admin', method: 'POST' })).status).toBe(409);
  });
});

async function finished(id: string): Promise<Json> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = (await stack.api(`/registrations/${id}`)).json as Json;
    if (r.status === 'Succeeded' || r.status === 'Failed') return r;
    if (Date.now() > deadline) throw new Error(`registration ${id} did not finish: ${JSON.stringify(r.status)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

const submit = (body: Json, as: 'itsm' | 'admin' = 'itsm') =>
  stack.api('/registrations', {
    as,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('policy', () => {
  it('refuses a tenant outside ALLOWED_TENANT_IDS with 403 before writing anything', async () => {
    const outsider = '11111111-2222-4333-8444-555555555555';
    const before = ((await stack.api('/registrations?top=100')).json as Json).items.length as number;
    const res = await submit(
      ticket('CHG-OUTSIDER', {
        tenantId: outsider,
        serverApp: { displayName: 'CMG-X', appIdUri: `api://${outsider}/CMG-X` },
      }),
    );
    expectProblem(res, 403, 'TENANT_NOT_ALLOWED');
    expect((res.json as Json).errors[0]).toMatchObject({ field: '/tenantId', rule: 'tenantAllowlist' });
    expect(((await stack.api('/registrations?top=100')).json as Json).items.length).toBe(before);
    expect((await stack.api('/registrations?ticketId=CHG-OUTSIDER')).json).toMatchObject({ items: [] });
  });

  it('accepts an https:// App ID URI on a verified domain of the tenant (read from Graph)', async () => {
    const res = await submit(
      ticket('CHG-DOMAIN-OK', { serverApp: { displayName: 'CMG-DOMAIN-OK', appIdUri: 'https://contoso.com/CMG-OK' } }),
    );
    expect(res.status).toBe(202);
    const done = await finished((res.json as Json).id as string);
    expect(done.status).toBe('Succeeded');
  }, 70_000);

  it('fails an https:// App ID URI on a domain the tenant has not verified, creating nothing', async () => {
    const res = await submit(
      ticket('CHG-DOMAIN-BAD', {
        serverApp: { displayName: 'CMG-DOMAIN-BAD', appIdUri: 'https://fabrikam.com/CMG-BAD' },
      }),
    );
    expect(res.status).toBe(202);
    const done = await finished((res.json as Json).id as string);
    expect(done.status).toBe('Failed');
    const step = (done.steps as Json[]).find((s) => s.name === 'serverApp')!;
    expect(step.lastError.code).toBe('APP_ID_URI_DOMAIN_NOT_VERIFIED');
    expect(done.objects?.serverApp).toBeUndefined();
  }, 70_000);
});

describe('audit trail', () => {
  it('records who and why for every state change, readable with Registrations.Read, never writable', async () => {
    const res = await submit(ticket('CHG-AUDIT-1'));
    const id = (res.json as Json).id as string;
    await finished(id);
    const audit = await stack.api(`/registrations/${id}/audit`, { as: 'itsm' });
    expect(audit.status).toBe(200);
    const entries = (audit.json as Json).entries as Json[];
    const itsm = stack.info.api.callers.itsm.clientId;
    expect(entries[0]).toMatchObject({
      subject: 'request',
      from: 'None',
      to: 'Accepted',
      actorKind: 'entraToken',
      actorAppId: itsm,
      reason: 'POST /api/registrations',
    });
    expect(entries[0]!.actor).toContain(`app:${itsm}`);
    const pipeline = entries.filter((e) => e.actor === 'system:pipeline');
    expect(pipeline.map((e) => `${e.subject}:${e.to}`)).toEqual(
      expect.arrayContaining(['serverApp:Running', 'serverApp:Succeeded', 'request:Succeeded']),
    );
    // The registration's own history has the same transitions: one audit entry each.
    const history = ((await stack.api(`/registrations/${id}`)).json as Json).history as Json[];
    expect(entries).toHaveLength(history.length);

    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const write = await stack.api(`/registrations/${id}/audit`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: '{"entries":[]}',
      });
      expect({ method, status: write.status }).toEqual({ method, status: 404 });
    }
    expect(((await stack.api(`/registrations/${id}/audit`)).json as Json).entries).toHaveLength(entries.length);
    expectProblem(await stack.api(`/registrations/${id}/audit`, { as: 'noRole' }), 403, 'FORBIDDEN_ROLE');
  }, 70_000);
});
