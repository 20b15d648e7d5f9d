import { readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { ensureDevCertificates } from '../../../dev/certs';
import { HttpError, listen, sendJson, type RunningServer } from '../../../dev/emulators/common/http';
import { TokenValidator } from '../../../dev/emulators/keyvault/auth';
import { challengeHeader } from '../../../dev/emulators/keyvault/errors';
import { decodeSkipToken, encodeSkipToken, paginate, readPageRequest } from '../../../dev/emulators/keyvault/paging';
import { recoveryLevel, SecretStore } from '../../../dev/emulators/keyvault/store';

/**
 * The Key Vault emulator's parts on their own: token validation against a local issuer that signs its own test
 * tokens, the secret store with a fake clock, and paging.
 */

const VAULT_TENANT = '11111111-2222-4333-8444-555555555555';
const OTHER_TENANT = '99999999-8888-4777-8666-555555555555';

interface LocalIssuer {
  url: string;
  sign(claims: Record<string, unknown>, options?: { kid?: string; key?: KeyLike; alg?: string }): Promise<string>;
  fetches: string[];
  close(): Promise<void>;
}

async function startLocalIssuer(tls: { cert: string; key: string }): Promise<LocalIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const fetches: string[] = [];
  let server: RunningServer | undefined = undefined;
  server = await listen(
    (req, res) => {
      const path = req.url ?? '/';
      fetches.push(path);
      const match = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys)$/.exec(path);
      const tid = match?.[1];
      if (!match || !tid || ![VAULT_TENANT, OTHER_TENANT].includes(tid)) {
        sendJson(res, 404, { error: 'not_found' });
        return;
      }
      if (match[2] === 'discovery/v2.0/keys') {
        sendJson(res, 200, { keys: [jwk] });
        return;
      }
      sendJson(res, 200, {
        issuer: `${server?.url ?? ''}/${tid}/v2.0`,
        jwks_uri: `${server?.url ?? ''}/${tid}/discovery/v2.0/keys`,
      });
    },
    { tls, name: 'local issuer' },
  );
  const url = server.url;
  return {
    url,
    fetches,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'test-key', typ: 'JWT' })
        .sign(options.key ?? privateKey),
    close: () => server.close(),
  };
}

describe('Key Vault emulator token validation', () => {
  let issuer: LocalIssuer;
  let ca: string;
  const now = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    const certs = await ensureDevCertificates();
    ca = readFileSync(certs.caPath, 'utf8');
    issuer = await startLocalIssuer({ cert: certs.cert, key: certs.key });
  });
  afterAll(() => issuer.close());

  const validator = (): TokenValidator => new TokenValidator({ authority: issuer.url, tenantId: VAULT_TENANT, ca });
  const claims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    aud: 'https://vault.azure.net',
    iss: `${issuer.url}/${VAULT_TENANT}/v2.0`,
    tid: VAULT_TENANT,
    oid: 'oid-1',
    azp: 'app-1',
    iat: now,
    nbf: now,
    exp: now + 3600,
    ...over,
  });

  /** The 401 a validation failure throws, with its message and challenge. */
  async function rejection(
    v: TokenValidator,
    authorization: string | undefined,
  ): Promise<{ message: string; challenge?: string }> {
    try {
      await v.validate(authorization);
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      const e = err as HttpError;
      expect(e.status).toBe(401);
      return {
        message: (e.body as { error: { message: string } }).error.message,
        challenge: e.headers['www-authenticate'],
      };
    }
    throw new Error('expected the token to be rejected');
  }

  it('accepts a vault token of the vault tenant and names the caller', async () => {
    const principal = await validator().validate(`Bearer ${await issuer.sign(claims())}`);
    expect(principal).toEqual({
      tid: VAULT_TENANT,
      iss: `${issuer.url}/${VAULT_TENANT}/v2.0`,
      oid: 'oid-1',
      appid: 'app-1',
    });
  });

  it('prefers the v1 appid claim when present', async () => {
    const principal = await validator().validate(`Bearer ${await issuer.sign(claims({ appid: 'v1-app' }))}`);
    expect(principal.appid).toBe('v1-app');
  });

  it('answers a missing or non-Bearer authorization with AKV10000 and the challenge', async () => {
    for (const header of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const r = await rejection(validator(), header);
      expect(r.message).toBe('AKV10000: Request is missing a Bearer or PoP token.');
      expect(r.challenge).toBe(
        `Bearer authorization="${issuer.url}/${VAULT_TENANT}", resource="https://vault.azure.net"`,
      );
    }
  });

  it('accepts the public and US Government resources and Key Vault app id as audience, nothing else', async () => {
    for (const aud of [
      'https://vault.usgovcloudapi.net',
      'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
      ['x', 'https://vault.azure.net'],
    ]) {
      await expect(validator().validate(`Bearer ${await issuer.sign(claims({ aud }))}`)).resolves.toBeDefined();
    }
    for (const aud of ['https://graph.microsoft.com', 'https://vault.azure.net/', 'https://myvault.vault.azure.net']) {
      const r = await rejection(validator(), `Bearer ${await issuer.sign(claims({ aud }))}`);
      expect(r.message).toBe(`AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${aud}.`);
    }
  });

  it('rejects an expired token (beyond the clock skew allowance) with TokenExpired', async () => {
    const expired = await issuer.sign(claims({ iat: now - 7200, nbf: now - 7200, exp: now - 600 }));
    expect((await rejection(validator(), `Bearer ${expired}`)).message).toBe(
      "[TokenExpired] Error validating token: 'S2S12086'.",
    );
    const withinSkew = await issuer.sign(claims({ exp: now - 60 }));
    await expect(validator().validate(`Bearer ${withinSkew}`)).resolves.toBeDefined();
  });

  it('rejects a token that is not yet valid', async () => {
    const early = await issuer.sign(claims({ nbf: now + 3600, exp: now + 7200 }));
    expect((await rejection(validator(), `Bearer ${early}`)).message).toBe('Token not yet valid.');
  });

  it("rejects another tenant's token with AKV10032 naming the vault tenant's issuer", async () => {
    const other = await issuer.sign(claims({ tid: OTHER_TENANT, iss: `${issuer.url}/${OTHER_TENANT}/v2.0` }));
    expect((await rejection(validator(), `Bearer ${other}`)).message).toBe(
      `AKV10032: Invalid issuer. Expected one of ${issuer.url}/${VAULT_TENANT}/v2.0, found ${issuer.url}/${OTHER_TENANT}/v2.0.`,
    );
  });

  it("rejects an issuer that is not the token tenant's", async () => {
    const forged = await issuer.sign(claims({ iss: 'https://sts.windows.net/evil/' }));
    expect((await rejection(validator(), `Bearer ${forged}`)).message).toMatch(/^AKV10032: /);
  });

  it('rejects a token signed with an unknown key id (AKV10046) or a foreign key under a known id', async () => {
    const unknownKid = await issuer.sign(claims(), { kid: 'rotated-away' });
    const r = await rejection(validator(), `Bearer ${unknownKid}`);
    expect(r.message).toBe(
      `AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '${unknownKid.split('.')[0]}'`,
    );
    const { privateKey: foreign } = await generateKeyPair('RS256');
    const forged = await issuer.sign(claims(), { key: foreign });
    expect((await rejection(validator(), `Bearer ${forged}`)).message).toBe(
      '[InvalidSignature] Error validating token: the signature does not verify.',
    );
  });

  it('rejects malformed tokens, non-RS256 tokens and tokens without a tenant', async () => {
    expect((await rejection(validator(), 'Bearer not.a.jwt')).message).toMatch(/^\[InvalidToken\] /);
    const hs = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    expect((await rejection(validator(), `Bearer ${hs}`)).message).toContain("algorithm 'HS256'");
    const noTid = await issuer.sign(claims({ tid: undefined }));
    expect((await rejection(validator(), `Bearer ${noTid}`)).message).toContain('tid');
    const pathy = await issuer.sign(claims({ tid: '../../etc' }));
    expect((await rejection(validator(), `Bearer ${pathy}`)).message).toContain('tid');
  });

  it('treats a tenant the authority does not know as an unknown signer', async () => {
    const stranger = '00000000-0000-4000-8000-000000000000';
    const token = await issuer.sign(claims({ tid: stranger, iss: `${issuer.url}/${stranger}/v2.0` }));
    expect((await rejection(validator(), `Bearer ${token}`)).message).toMatch(/^AKV10046: /);
  });

  it('fetches the OpenID configuration and the key set once and reuses them', async () => {
    const v = validator();
    issuer.fetches.length = 0;
    for (let i = 0; i < 3; i++) await v.validate(`Bearer ${await issuer.sign(claims())}`);
    expect(issuer.fetches.filter((f) => f.endsWith('/discovery/v2.0/keys'))).toHaveLength(1);
    expect(issuer.fetches.filter((f) => f.endsWith('/v2.0/.well-known/openid-configuration'))).toHaveLength(1);
  });

  it('formats the challenge without authorization_uri', () => {
    expect(challengeHeader('https://login.example/', 'tid')).toBe(
      'Bearer authorization="https://login.example/tid", resource="https://vault.azure.net"',
    );
  });
});

describe('Key Vault emulator secret store', () => {
  let clock = Date.UTC(2025, 0, 1);
  const store = (over: Partial<ConstructorParameters<typeof SecretStore>[0]> = {}): SecretStore =>
    new SecretStore({ recoverableDays: 90, purgeProtection: false, transitionMs: 0, now: () => clock, ...over });
  const status = (fn: () => unknown): { status: number; code?: string; inner?: string } => {
    try {
      fn();
    } catch (err) {
      const e = err as HttpError;
      const body = e.body as { error: { code: string; innererror?: { code: string } } };
      return {
        status: e.status,
        code: body.error.code,
        ...(body.error.innererror ? { inner: body.error.innererror.code } : {}),
      };
    }
    throw new Error('expected an error');
  };

  beforeEach(() => {
    clock = Date.UTC(2025, 0, 1);
  });

  it('adds a version per set and reads the latest or a given one, names case-insensitively', () => {
    const s = store();
    const a = s.set('Name', { value: '1' }).version;
    clock += 1000;
    const b = s.set('name', { value: '2', tags: { t: 'x' } }).version;
    expect(s.get('NAME', undefined).version.value).toBe('2');
    expect(s.get('name', a.version).version.value).toBe('1');
    expect(s.get('name', b.version.toUpperCase()).record.name).toBe('Name');
    expect(b.created).toBe(a.created + 1);
    expect(s.listVersions('name').versions.map((v) => v.version)).toEqual([a.version, b.version].sort());
  });

  it('updates attributes in place, and null clears an expiry', () => {
    const s = store();
    const v = s.set('x', { value: 'v', attributes: { exp: 2_000_000_000 } }).version;
    clock += 5000;
    const updated = s.update('x', v.version, { attributes: { exp: null, enabled: false } }).version;
    expect(updated.exp).toBeUndefined();
    expect(updated.enabled).toBe(false);
    expect(updated.updated).toBe(updated.created + 5);
    expect(status(() => s.get('x', undefined))).toEqual({ status: 403, code: 'Forbidden', inner: 'SecretDisabled' });
  });

  it('refuses more than 15 tags', () => {
    const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    expect(status(() => store().set('x', { value: 'v', tags })).status).toBe(400);
  });

  it('walks a slow delete: being deleted, then deleted, then purged when retention runs out', () => {
    const s = store({ transitionMs: 2000 });
    s.set('x', { value: 'v' });
    s.delete('x');
    expect(status(() => s.getDeleted('x'))).toEqual({ status: 404, code: 'SecretNotFound' });
    expect(status(() => s.set('x', { value: 'w' }))).toEqual({
      status: 409,
      code: 'Conflict',
      inner: 'ObjectIsBeingDeleted',
    });
    expect(status(() => s.purge('x'))).toEqual({ status: 409, code: 'Conflict', inner: 'ObjectIsBeingDeleted' });
    expect(status(() => s.get('x', undefined)).status).toBe(404);
    clock += 2000;
    expect(s.getDeleted('x').lifecycle).toEqual({
      state: 'deleted',
      deletedDate: Date.UTC(2025, 0, 1) / 1000,
      scheduledPurgeDate: Date.UTC(2025, 0, 1) / 1000 + 90 * 86_400,
    });
    expect(status(() => s.set('x', { value: 'w' }))).toEqual({
      status: 409,
      code: 'Conflict',
      inner: 'ObjectIsDeletedButRecoverable',
    });
    clock += 90 * 86_400_000;
    expect(status(() => s.getDeleted('x')).status).toBe(404);
    expect(s.set('x', { value: 'reborn' }).record.versions).toHaveLength(1);
  });

  it('recovers every version of a deleted secret', () => {
    const s = store({ transitionMs: 1000 });
    s.set('x', { value: 'one' });
    s.set('x', { value: 'two' });
    s.delete('x');
    expect(status(() => s.recover('x'))).toEqual({ status: 409, code: 'Conflict', inner: 'ObjectIsBeingDeleted' });
    clock += 1000;
    s.recover('x');
    expect(status(() => s.get('x', undefined)).status).toBe(404);
    expect(status(() => s.set('x', { value: 'w' })).inner).toBe('ObjectIsBeingRecovered');
    clock += 1000;
    expect(s.get('x', undefined).version.value).toBe('two');
    expect(s.listVersions('x').versions).toHaveLength(2);
    expect(status(() => s.recover('x'))).toEqual({ status: 404, code: 'SecretNotFound' });
  });

  it('reports the recovery level for the retention and purge protection', () => {
    expect(recoveryLevel({ recoverableDays: 90, purgeProtection: false })).toBe('Recoverable+Purgeable');
    expect(recoveryLevel({ recoverableDays: 90, purgeProtection: true })).toBe('Recoverable');
    expect(recoveryLevel({ recoverableDays: 7, purgeProtection: false })).toBe('CustomizedRecoverable+Purgeable');
    expect(recoveryLevel({ recoverableDays: 7, purgeProtection: true })).toBe('CustomizedRecoverable');
    expect(() => store({ recoverableDays: 6 })).toThrow(/recoverableDays/);
    expect(() => store({ recoverableDays: 91 })).toThrow(/recoverableDays/);
  });

  it('round-trips a snapshot and refuses a corrupt one naming its source', () => {
    const s = store();
    s.set('kept', { value: 'v', contentType: 'text/plain' });
    s.set('gone', { value: 'g' });
    s.delete('gone');
    const copy = store();
    copy.loadSnapshot(JSON.parse(JSON.stringify(s.toSnapshot())), 'test');
    expect(copy.get('kept', undefined).version).toMatchObject({ value: 'v', contentType: 'text/plain' });
    expect(copy.getDeleted('gone').name).toBe('gone');
    expect(() => copy.loadSnapshot({ format: 'other', version: 1, secrets: [] }, 'broken.json')).toThrow(
      /broken\.json/,
    );
    expect(() =>
      copy.loadSnapshot(
        { format: 'cm-entra-provisioner/keyvault-emulator', version: 1, secrets: [{ name: 'bad_name' }] },
        'x',
      ),
    ).toThrow(/not a valid snapshot/);
  });
});

describe('Key Vault emulator paging', () => {
  const items = ['a', 'b', 'c', 'd', 'e'];
  const page = (query: string) =>
    paginate(
      items,
      (i) => i,
      (i) => i.toUpperCase(),
      readPageRequest(new URLSearchParams(query)),
      { base: 'https://vault/secrets', apiVersion: '7.6' },
    );

  it('pages by maxresults with absolute nextLinks and a null nextLink at the end', () => {
    const first = page('maxresults=2');
    expect(first.value).toEqual(['A', 'B']);
    expect(first.nextLink).toBe(
      `https://vault/secrets?api-version=7.6&$skiptoken=${encodeSkipToken('b')}&maxresults=2`,
    );
    const second = page(new URL(first.nextLink!).search.slice(1));
    expect(second.value).toEqual(['C', 'D']);
    const third = page(new URL(second.nextLink!).search.slice(1));
    expect(third).toEqual({ value: ['E'], nextLink: null });
    expect(page('')).toEqual({ value: ['A', 'B', 'C', 'D', 'E'], nextLink: null });
  });

  it('refuses maxresults outside 1..25 and a broken skip token', () => {
    for (const q of ['maxresults=0', 'maxresults=26', 'maxresults=2.5', 'maxresults=x', '$skiptoken=%%%']) {
      expect(() => page(q)).toThrow(HttpError);
    }
    expect(decodeSkipToken(encodeSkipToken('name-1'))).toBe('name-1');
    expect(JSON.parse(Buffer.from(encodeSkipToken('n'), 'base64url').toString())).toEqual({
      NextMarker: 'n',
      TargetLocation: 0,
    });
  });
});
