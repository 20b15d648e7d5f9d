import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import fc from 'fast-check';
import { apiHandler, type ApiAuthDeps } from '../../../src/shared/http/api';
import { signItsmRequest, verifyItsmSignature } from '../../../src/shared/security/hmac';
import { parseClientPrincipal } from '../../../src/shared/security/principal';
import { API_ROLES, type CallerIdentity } from '../../../src/shared/security/roles';
import { createTokenVerifier, type TokenVerifier } from '../../../src/shared/security/tokens';
import { assertTenantAllowed, isOnVerifiedDomain } from '../../../src/shared/security/policy';

const AUTHORITY = 'https://login.example.test';
const TENANT = '0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const OTHER_TENANT = '6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c';
const AUDIENCE = 'api://7d3e5f10-2a4b-4c6d-8e9f-a0b1c2d3e4f5';
const APP = '8e4f6a21-3b5c-4d7e-9fa0-b1c2d3e4f5a6';
const OID = '11111111-2222-4333-8444-555555555555';

let key: KeyLike;
let otherKey: KeyLike;
let verify: TokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  verify = createTokenVerifier({
    authorityHost: AUTHORITY,
    tenantId: TENANT,
    audiences: [AUDIENCE],
    keys: createLocalJWKSet({ keys: [jwk] }),
  });
});

async function token(
  claims: Record<string, unknown> = {},
  opts: { key?: KeyLike; exp?: number; alg?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    tid: TENANT,
    oid: OID,
    appid: APP,
    roles: [API_ROLES.submit, API_ROLES.read],
    ...claims,
  })
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: 'k1' })
    .setIssuer((claims.iss as string) ?? `${AUTHORITY}/${TENANT}/v2.0`)
    .setAudience((claims.aud as string) ?? AUDIENCE)
    .setIssuedAt(now - 10)
    .setExpirationTime(opts.exp ?? now + 3600)
    .sign(opts.key ?? key);
}

describe('Entra access tokens (jose)', () => {
  it('accepts a token for the API from the home tenant and returns the caller with its roles', async () => {
    await expect(verify(await token())).resolves.toEqual({
      kind: 'entraToken',
      id: OID,
      tenantId: TENANT,
      appId: APP,
      roles: [API_ROLES.submit, API_ROLES.read],
    });
  });

  it.each([
    ['another signing key', () => token({}, { key: otherKey })],
    ['another issuer', () => token({ iss: `${AUTHORITY}/${OTHER_TENANT}/v2.0` })],
    ['another audience', () => token({ aud: 'https://graph.microsoft.com' })],
    ['another tenant (tid)', () => token({ tid: OTHER_TENANT })],
    ['an expired token', () => token({}, { exp: Math.floor(Date.now() / 1000) - 600 })],
    ['no object id', () => token({ oid: undefined })],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_what, make) => {
    await expect(verify(await make())).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuses an alg=none token and garbage', async () => {
    const good = await token();
    const [, payload] = good.split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    for (const t of [none, 'a.b.c', '', 'x'.repeat(20_000)]) {
      await expect(verify(t)).rejects.toMatchObject({ status: 401 });
    }
  });
});

describe('App Service Authentication principal', () => {
  const encode = (p: unknown) => Buffer.from(JSON.stringify(p)).toString('base64');
  it('reads oid, tid, appid and roles', () => {
    expect(
      parseClientPrincipal(
        encode({
          auth_typ: 'aad',
          role_typ: 'roles',
          claims: [
            { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: OID },
            { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: TENANT },
            { typ: 'appid', val: APP },
            { typ: 'roles', val: API_ROLES.admin },
          ],
        }),
      ),
    ).toEqual({ kind: 'appServiceAuth', id: OID, tenantId: TENANT, appId: APP, roles: [API_ROLES.admin] });
  });
  it('never throws on arbitrary input, and needs oid and tid', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map(encode)), (s) => {
        const p = parseClientPrincipal(s);
        if (p) expect(p.id && p.tenantId).toBeTruthy();
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe('ITSM request signatures (HMAC-SHA256)', () => {
  const KEY = 'k'.repeat(40);
  const body = '{"ticketId":"CHG1"}';
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);
  it('accepts the signature over "{timestamp}.{body}" within the window', () => {
    const signature = signItsmRequest(KEY, ts, body);
    expect(verifyItsmSignature({ key: KEY, timestamp: ts, signature, body, nowMs: now + 299_000 })).toEqual({
      ok: true,
    });
  });
  it('refuses a replay outside 5 minutes, a changed body, a wrong key, and missing or malformed headers', () => {
    const signature = signItsmRequest(KEY, ts, body);
    const check = (over: Partial<Parameters<typeof verifyItsmSignature>[0]>) =>
      verifyItsmSignature({ key: KEY, timestamp: ts, signature, body, nowMs: now, ...over });
    expect(check({ nowMs: now + 301_000 })).toMatchObject({ ok: false, reason: 'stale' });
    expect(check({ nowMs: now - 301_000 })).toMatchObject({ ok: false, reason: 'stale' });
    expect(check({ body: '{"ticketId":"CHG2"}' })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(check({ key: 'x'.repeat(40) })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(check({ signature: null })).toMatchObject({ ok: false, reason: 'missing' });
    expect(check({ signature: 'sha256=zz' })).toMatchObject({ ok: false, reason: 'malformed' });
    expect(check({ timestamp: '1e9' })).toMatchObject({ ok: false, reason: 'malformed' });
  });
  it('compares in constant time (timingSafeEqual), never with ===', () => {
    const src = readFileSync(path.join(__dirname, '../../../src/shared/security/hmac.ts'), 'utf8');
    expect(src).toMatch(/timingSafeEqual\(given, expected\)/);
  });
});

describe('policy', () => {
  it('allows only tenants on the allowlist (empty = none)', () => {
    expect(() => assertTenantAllowed(TENANT, { allowedTenantIds: [TENANT] })).not.toThrow();
    expect(() => assertTenantAllowed(TENANT.toUpperCase(), { allowedTenantIds: [TENANT] })).not.toThrow();
    expect(() => assertTenantAllowed(TENANT, { allowedTenantIds: [] })).toThrow(
      expect.objectContaining({ status: 403, code: 'TENANT_NOT_ALLOWED' }),
    );
  });
  it('accepts an App ID URI host that is a verified domain or a subdomain of one, nothing else', () => {
    const domains = ['contoso.onmicrosoft.com', 'contoso.com'];
    expect(isOnVerifiedDomain('contoso.com', domains)).toBe(true);
    expect(isOnVerifiedDomain('cmg.contoso.com', domains)).toBe(true);
    expect(isOnVerifiedDomain('CONTOSO.ONMICROSOFT.COM', domains)).toBe(true);
    expect(isOnVerifiedDomain('evilcontoso.com', domains)).toBe(false);
    expect(isOnVerifiedDomain('contoso.com.evil.net', domains)).toBe(false);
    expect(isOnVerifiedDomain('fabrikam.com', domains)).toBe(false);
    expect(isOnVerifiedDomain('contoso.com', [])).toBe(false);
  });
});

describe('apiHandler', () => {
  const context = () => new InvocationContext({ invocationId: 'test', functionName: 't' });
  const caller = (roles: string[], appId = APP): CallerIdentity => ({ kind: 'entraToken', id: OID, appId, roles });
  const deps =
    (over: Partial<ApiAuthDeps> = {}, who?: CallerIdentity): (() => ApiAuthDeps) =>
    () => ({
      verifyToken: (t) =>
        t === 'good' ? Promise.resolve(who ?? caller([API_ROLES.submit])) : Promise.reject(new Error('bad token')),
      trustAppServicePrincipal: false,
      homeTenantId: TENANT,
      itsmSigningKeys: new Map(),
      now: () => 1_800_000_000_000,
      ...over,
    });
  const req = (headers: Record<string, string>, body?: string) =>
    new HttpRequest({
      url: 'http://localhost/api/registrations',
      method: 'POST',
      headers,
      ...(body !== undefined ? { body: { string: body } } : {}),
    });
  const ok = jest.fn(() => Promise.resolve({ status: 202 }));

  it('runs the handler for a caller with the role, and passes the caller', async () => {
    const h = apiHandler({ role: API_ROLES.submit }, ok, deps());
    expect((await h(req({ authorization: 'Bearer good' }), context())).status).toBe(202);
    expect(ok).toHaveBeenLastCalledWith(expect.anything(), expect.anything(), caller([API_ROLES.submit]));
  });

  it('401 problem+json without or with a bad token, 403 without the role; the handler never runs', async () => {
    ok.mockClear();
    const h = apiHandler({ role: API_ROLES.admin }, ok, deps());
    const none = await h(req({}), context());
    expect(none).toMatchObject({ status: 401, headers: { 'content-type': 'application/problem+json' } });
    expect((none.headers as Record<string, string>)['www-authenticate']).toMatch(/^Bearer/);
    expect(await h(req({ authorization: 'Bearer bad' }), context())).toMatchObject({ status: 401 });
    const forbidden = await h(req({ authorization: 'Bearer good' }), context());
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.body as string)).toMatchObject({ code: 'FORBIDDEN_ROLE' });
    expect(ok).not.toHaveBeenCalled();
  });

  it('maps handler errors to problem+json without leaking their message', async () => {
    const h = apiHandler({ role: API_ROLES.submit }, () => Promise.reject(new Error('secret=hunter2')), deps());
    const res = await h(req({ authorization: 'Bearer good' }), context());
    expect(res.status).toBe(500);
    expect(res.body as string).not.toContain('hunter2');
  });

  it('trusts the App Service principal header only when told to, and only from the home tenant', async () => {
    const principal = (tid: string) =>
      Buffer.from(
        JSON.stringify({
          claims: [
            { typ: 'oid', val: OID },
            { typ: 'tid', val: tid },
            { typ: 'roles', val: API_ROLES.submit },
          ],
        }),
      ).toString('base64');
    const untrusted = apiHandler({ role: API_ROLES.submit }, ok, deps());
    expect((await untrusted(req({ 'x-ms-client-principal': principal(TENANT) }), context())).status).toBe(401);
    const trusted = apiHandler({ role: API_ROLES.submit }, ok, deps({ trustAppServicePrincipal: true }));
    expect((await trusted(req({ 'x-ms-client-principal': principal(TENANT) }), context())).status).toBe(202);
    expect((await trusted(req({ 'x-ms-client-principal': principal(OTHER_TENANT) }), context())).status).toBe(401);
  });

  it('requires a valid signature from a caller that has an ITSM signing key, and reads the body only once', async () => {
    const KEY = 's'.repeat(40);
    const body = '{"ticketId":"CHG-SIGNED"}';
    const ts = String(1_800_000_000);
    const seen: string[] = [];
    const echo = apiHandler(
      { role: API_ROLES.submit },
      async (r) => {
        seen.push(await r.text());
        return { status: 202 };
      },
      deps({ itsmSigningKeys: new Map([[APP.toLowerCase(), KEY]]) }),
    );
    const signed = {
      authorization: 'Bearer good',
      'x-cm-itsm-timestamp': ts,
      'x-cm-itsm-signature': signItsmRequest(KEY, ts, body),
    };
    expect((await echo(req(signed, body), context())).status).toBe(202);
    expect(seen).toEqual([body]); // the handler still gets the whole body
    const unsigned = await echo(req({ authorization: 'Bearer good' }, body), context());
    expect(unsigned.status).toBe(401);
    expect(JSON.parse(unsigned.body as string)).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect((await echo(req(signed, body.replace('CHG', 'XYZ')), context())).status).toBe(401);
    const stale = { ...signed, 'x-cm-itsm-timestamp': String(1_800_000_000 - 400) };
    expect((await echo(req(stale, body), context())).status).toBe(401);
    // a caller without a key is not asked to sign
    const other = apiHandler(
      { role: API_ROLES.submit },
      ok,
      deps({ itsmSigningKeys: new Map([['99999999-9999-4999-8999-999999999999', KEY]]) }),
    );
    expect((await other(req({ authorization: 'Bearer good' }, body), context())).status).toBe(202);
  });
});
