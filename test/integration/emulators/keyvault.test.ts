import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ClientSecretCredential, type AccessToken, type TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { ensureDevCertificates } from '../../../dev/certs';
import { startEntraEmulator, type TenantSeed } from '../../../dev/emulators/entra';
import { startKeyVaultEmulator, type RunningKeyVaultEmulator } from '../../../dev/emulators/keyvault';

/**
 * The Key Vault emulator through the real clients: ClientSecretCredential against the Entra emulator, SecretClient
 * against the vault. Raw HTTPS only where the SDK hides what is asserted (the challenge, wire shapes).
 */

const VAULT_TENANT: TenantSeed = {
  tenantId: '5d2b6c1e-7a3f-4e9b-9c8d-1f2e3a4b5c6d',
  displayName: 'Vault Tenant',
  initialDomain: 'vaulttenant.onmicrosoft.com',
  verifiedDomains: [],
  provisioner: {
    clientId: '6e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b',
    clientSecret: 'kv-test~secret-of-the-vault-tenant-000001',
    graphAppRoles: [],
  },
};

const OTHER_TENANT: TenantSeed = {
  tenantId: '8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d',
  displayName: 'Other Tenant',
  initialDomain: 'othertenant.onmicrosoft.com',
  verifiedDomains: [],
  provisioner: {
    clientId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    clientSecret: 'kv-test~secret-of-the-other-tenant-00002',
    graphAppRoles: [],
  },
};

const FAST_RETRIES = { retryDelayInMs: 1, maxRetryDelayInMs: 5, maxRetries: 8 };

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

function raw(method: string, url: string, token?: string, body?: unknown): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      url,
      {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Awaits a rejected SDK call and returns the RestError for assertions. */
async function failure(promise: Promise<unknown>): Promise<{
  statusCode?: number;
  code?: string;
  message: string;
  details?: { error?: { code?: string; message?: string; innerError?: { code?: string } } };
}> {
  try {
    await promise;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected the call to fail');
}

describe('Key Vault emulator through SecretClient', () => {
  let entra: Awaited<ReturnType<typeof startEntraEmulator>>;
  let kv: RunningKeyVaultEmulator;
  let credential: ClientSecretCredential;
  let client: SecretClient;
  let tls: { cert: string; key: string };
  let tmp: string;
  const started: RunningKeyVaultEmulator[] = [];

  const newClient = (
    vault: RunningKeyVaultEmulator,
    options: SecretClientOptions = {},
    cred: TokenCredential = credential,
  ) => new SecretClient(vault.url, cred, { disableChallengeResourceVerification: true, ...options });

  const startVault = async (
    extra: Partial<Parameters<typeof startKeyVaultEmulator>[0]> = {},
  ): Promise<RunningKeyVaultEmulator> => {
    const vault = await startKeyVaultEmulator({ tls, authority: entra.url, tenantId: VAULT_TENANT.tenantId, ...extra });
    started.push(vault);
    return vault;
  };

  const vaultToken = async (): Promise<string> => (await credential.getToken('https://vault.azure.net/.default')).token;

  beforeAll(async () => {
    const certs = await ensureDevCertificates();
    tls = { cert: certs.cert, key: certs.key };
    tmp = mkdtempSync(path.join(os.tmpdir(), 'kv-emulator-'));
    entra = await startEntraEmulator({ tenants: [VAULT_TENANT, OTHER_TENANT], tls });
    kv = await startVault();
    credential = new ClientSecretCredential(
      VAULT_TENANT.tenantId,
      VAULT_TENANT.provisioner.clientId,
      VAULT_TENANT.provisioner.clientSecret,
      { authorityHost: entra.url, disableInstanceDiscovery: true },
    );
    client = newClient(kv);
  });

  afterAll(async () => {
    await Promise.all(started.map((v) => v.close()));
    await entra?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  describe('authentication', () => {
    it('answers a request without a token with 401 and the Bearer challenge naming the authority and tenant', async () => {
      const res = await raw('GET', `${kv.url}/secrets/anything?api-version=7.6`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer authorization="${entra.url}/${VAULT_TENANT.tenantId}", resource="https://vault.azure.net"`,
      );
      expect(res.body).toEqual({
        error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
      });
    });

    it('lets SecretClient complete the challenge: the first call goes out without a token, the retry with one', async () => {
      const fresh = await startVault();
      await newClient(fresh).setSecret('challenge-flow', 'v');
      const calls = fresh.calls();
      expect(calls.map((c) => [c.method, c.status])).toEqual([
        ['PUT', 401],
        ['PUT', 200],
      ]);
      expect(calls[0]?.principal).toBeUndefined();
      expect(calls[1]?.principal).toBeDefined();
    });

    it('works with every accepted serviceVersion, and with the SDK default', async () => {
      for (const serviceVersion of ['7.4', '7.5', '7.6', '2025-07-01'] as const) {
        const c = newClient(kv, { serviceVersion });
        await c.setSecret(`api-${serviceVersion.replace(/\./g, '-')}`, serviceVersion);
        expect((await c.getSecret(`api-${serviceVersion.replace(/\./g, '-')}`)).value).toBe(serviceVersion);
      }
      const used = new Set(kv.calls().map((c) => c.apiVersion));
      for (const v of ['7.4', '7.5', '7.6', '2025-07-01']) expect(used.has(v)).toBe(true);

      kv.clearCalls();
      await client.setSecret('api-default', 'default');
      expect(kv.calls().every((c) => c.status === 200 || c.status === 401)).toBe(true);
      // A newer SDK (4.12) defaults to 2026-04-01: accepted too.
      const res = await raw('GET', `${kv.url}/secrets/api-default?api-version=2026-04-01`, await vaultToken());
      expect(res.status).toBe(200);
    });

    it('rejects a token for another audience (a Graph token) with 401 AKV10022', async () => {
      const graphToken: TokenCredential = {
        getToken: (_scopes, options) => credential.getToken('https://graph.microsoft.com/.default', options),
      };
      const err = await failure(newClient(kv, {}, graphToken).getSecret('anything'));
      expect(err.statusCode).toBe(401);
      expect(err.code).toBe('Unauthorized');
      expect(err.message).toBe(
        'AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://graph.microsoft.com.',
      );
    });

    it("rejects a valid vault token from another tenant with 401 AKV10032 naming the vault tenant's issuer", async () => {
      const other = new ClientSecretCredential(
        OTHER_TENANT.tenantId,
        OTHER_TENANT.provisioner.clientId,
        OTHER_TENANT.provisioner.clientSecret,
        { authorityHost: entra.url, disableInstanceDiscovery: true },
      );
      // Ask the other tenant for a token whatever tenant the challenge names.
      const otherTenantToken: TokenCredential = {
        getToken: (scopes, options): Promise<AccessToken> =>
          other.getToken(scopes, { ...options, tenantId: undefined }),
      };
      const err = await failure(newClient(kv, {}, otherTenantToken).getSecret('anything'));
      expect(err.statusCode).toBe(401);
      expect(err.message).toMatch(/^AKV10032: Invalid issuer\. Expected one of /);
      expect(err.message).toContain(`${entra.url}/${VAULT_TENANT.tenantId}/v2.0`);
      expect(err.message).toContain(`found ${entra.url}/${OTHER_TENANT.tenantId}/v2.0`);
    });

    it('rejects a tampered token with 401 and the challenge', async () => {
      const token = await vaultToken();
      const [h, p] = token.split('.');
      const res = await raw('GET', `${kv.url}/secrets?api-version=7.6`, `${h}.${p}.${'A'.repeat(342)}`);
      expect(res.status).toBe(401);
      expect((res.body as { error: { code: string } }).error.code).toBe('Unauthorized');
      expect(res.headers['www-authenticate']).toContain('resource="https://vault.azure.net"');
    });

    it('refuses a principal outside allowedPrincipals with 403 ForbiddenByRbac, and lets it in once listed', async () => {
      const locked = await startVault({ allowedPrincipals: ['00000000-0000-0000-0000-00000000dead'] });
      const c = newClient(locked);
      const err = await failure(c.setSecret('rbac', 'v'));
      expect(err.statusCode).toBe(403);
      expect(err.code).toBe('Forbidden');
      expect(err.details?.error?.innerError?.code).toBe('ForbiddenByRbac');
      expect(err.message).toMatch(/^Caller is not authorized to perform action on resource\.\r\n/);
      expect(err.message).toContain(`Caller: appid=${VAULT_TENANT.provisioner.clientId};oid=`);
      expect(err.message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'");
      expect(locked.dumpSecrets()).toEqual([]);

      locked.setAllowedPrincipals([VAULT_TENANT.provisioner.clientId]);
      await c.setSecret('rbac', 'v');
      expect((await c.getSecret('rbac')).value).toBe('v');
    });
  });

  describe('api-version', () => {
    it('rejects an unsupported serviceVersion with 400 BadParameter', async () => {
      const err = await failure(newClient(kv, { serviceVersion: '7.3' }).setSecret('old-api', 'v'));
      expect(err.statusCode).toBe(400);
      expect(err.code).toBe('BadParameter');
      expect(err.message).toBe(
        'The specified version (7.3) is not recognized. Consider using the latest supported version (2026-04-01).',
      );
    });

    it('rejects a request without api-version', async () => {
      const res = await raw('GET', `${kv.url}/secrets`, await vaultToken());
      expect(res.status).toBe(400);
      expect((res.body as { error: { code: string } }).error.code).toBe('BadParameter');
    });
  });

  describe('secrets', () => {
    it('keeps every set as a new version, reads each by version and lists them', async () => {
      const first = await client.setSecret('versioned', 'one');
      const second = await client.setSecret('versioned', 'two');
      expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/);
      expect(second.properties.version).not.toBe(first.properties.version);
      expect((await client.getSecret('versioned')).value).toBe('two');
      expect((await client.getSecret('versioned', { version: first.properties.version! })).value).toBe('one');
      const versions: string[] = [];
      for await (const p of client.listPropertiesOfSecretVersions('versioned')) versions.push(p.version!);
      expect(versions.sort()).toEqual([first.properties.version, second.properties.version].sort());
      expect(second.properties.id).toBe(`${kv.url}/secrets/versioned/${second.properties.version}`);
    });

    it('treats names case-insensitively and keeps the casing first written', async () => {
      await client.setSecret('MixedCase', 'a');
      const got = await client.getSecret('mixedcase');
      expect(got.value).toBe('a');
      expect(got.name).toBe('MixedCase');
    });

    it('round-trips tags, contentType, expiresOn and notBefore, with Unix-second times on the wire', async () => {
      const expiresOn = new Date(Date.now() + 365 * 86_400_000);
      const notBefore = new Date(Date.now() - 60_000);
      const set = await client.setSecret('described', 's3cr3t', {
        tags: { app: 'CMG-ServerApp', ticket: 'INC0001' },
        contentType: 'text/plain',
        expiresOn,
        notBefore,
      });
      const got = await client.getSecret('described');
      expect(got.properties.tags).toEqual({ app: 'CMG-ServerApp', ticket: 'INC0001' });
      expect(got.properties.contentType).toBe('text/plain');
      expect(got.properties.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
      expect(got.properties.notBefore?.getTime()).toBe(Math.floor(notBefore.getTime() / 1000) * 1000);
      expect(got.properties.recoveryLevel).toBe('Recoverable+Purgeable');
      expect(got.properties.recoverableDays).toBe(90);

      const wire = await raw('GET', `${set.properties.id!}?api-version=7.6`, await vaultToken());
      expect(wire.status).toBe(200);
      const bundle = wire.body as Record<string, unknown> & { attributes: Record<string, unknown> };
      expect(Object.keys(bundle).sort()).toEqual(['attributes', 'contentType', 'id', 'tags', 'value']);
      expect(bundle.attributes).toEqual({
        enabled: true,
        nbf: Math.floor(notBefore.getTime() / 1000),
        exp: Math.floor(expiresOn.getTime() / 1000),
        created: expect.any(Number) as number,
        updated: expect.any(Number) as number,
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 90,
      });
      expect(Number.isInteger(bundle.attributes.created)).toBe(true);
      expect(Math.abs((bundle.attributes.created as number) - Date.now() / 1000)).toBeLessThan(60);
    });

    it('updates properties of a version without touching its value', async () => {
      const set = await client.setSecret('updatable', 'keep-me', { tags: { a: '1' } });
      const expiresOn = new Date(Date.now() + 86_400_000);
      const props = await client.updateSecretProperties('updatable', set.properties.version!, {
        tags: { b: '2' },
        contentType: 'application/x-password',
        expiresOn,
      });
      expect(props.tags).toEqual({ b: '2' });
      const got = await client.getSecret('updatable');
      expect(got.value).toBe('keep-me');
      expect(got.properties.version).toBe(set.properties.version);
      expect(got.properties.tags).toEqual({ b: '2' });
      expect(got.properties.contentType).toBe('application/x-password');
      expect(got.properties.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
      expect(got.properties.updatedOn!.getTime()).toBeGreaterThanOrEqual(got.properties.createdOn!.getTime());
    });

    it('refuses to read a disabled secret with 403 SecretDisabled and still lists it', async () => {
      const set = await client.setSecret('disabled', 'hidden');
      await client.updateSecretProperties('disabled', set.properties.version!, { enabled: false });
      const err = await failure(client.getSecret('disabled'));
      expect(err.statusCode).toBe(403);
      expect(err.code).toBe('Forbidden');
      expect(err.message).toBe('Operation get is not allowed on a disabled secret.');
      expect(err.details?.error?.innerError?.code).toBe('SecretDisabled');
      const listed: { name: string; enabled?: boolean }[] = [];
      for await (const p of client.listPropertiesOfSecrets()) listed.push({ name: p.name, enabled: p.enabled });
      expect(listed).toContainEqual({ name: 'disabled', enabled: false });

      await client.updateSecretProperties('disabled', set.properties.version!, { enabled: true });
      expect((await client.getSecret('disabled')).value).toBe('hidden');
    });

    it('answers 404 SecretNotFound for an unknown secret and an unknown version', async () => {
      const missing = await failure(client.getSecret('never-written'));
      expect(missing.statusCode).toBe(404);
      expect(missing.code).toBe('SecretNotFound');
      expect(missing.message).toMatch(/^A secret with \(name\/id\) never-written was not found in this key vault\./);
      await client.setSecret('has-one-version', 'x');
      const version = 'ffffffffffffffffffffffffffffffff';
      const wrongVersion = await failure(client.getSecret('has-one-version', { version }));
      expect(wrongVersion.statusCode).toBe(404);
      expect(wrongVersion.message).toContain(`(name/id) has-one-version/${version} was not found`);
    });

    it('rejects invalid names with 400 BadParameter', async () => {
      for (const name of ['bad_name', 'a'.repeat(128), 'dots.not.allowed']) {
        const err = await failure(client.setSecret(name, 'x'));
        expect(err.statusCode).toBe(400);
        expect(err.code).toBe('BadParameter');
        expect(err.message).toBe(`The request URI contains an invalid name: ${name}`);
      }
      await client.setSecret('a'.repeat(127), 'longest name allowed');
    });
  });

  describe('soft delete', () => {
    it('deletes softly, shows the deleted secret, refuses the name, and recovers it readable again', async () => {
      const set = await client.setSecret('recoverable', 'precious');
      const deleted = await (await client.beginDeleteSecret('recoverable', { intervalInMs: 10 })).pollUntilDone();
      expect(deleted.recoveryId).toBe(`${kv.url}/deletedsecrets/recoverable`);
      expect(deleted.properties.version).toBe(set.properties.version);
      expect(deleted.value).toBeUndefined();
      const purgeIn = deleted.scheduledPurgeDate!.getTime() - deleted.deletedOn!.getTime();
      expect(purgeIn).toBe(90 * 86_400_000);

      const shown = await client.getDeletedSecret('recoverable');
      expect(shown.recoveryId).toBe(deleted.recoveryId);
      const listedDeleted: string[] = [];
      for await (const d of client.listDeletedSecrets()) listedDeleted.push(d.name);
      expect(listedDeleted).toContain('recoverable');

      const gone = await failure(client.getSecret('recoverable'));
      expect(gone.statusCode).toBe(404);
      expect(gone.code).toBe('SecretNotFound');
      const reuse = await failure(client.setSecret('recoverable', 'new'));
      expect(reuse.statusCode).toBe(409);
      expect(reuse.code).toBe('Conflict');
      expect(reuse.message).toBe(
        'Secret recoverable is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.',
      );
      expect(reuse.details?.error?.innerError?.code).toBe('ObjectIsDeletedButRecoverable');

      const recovered = await (
        await client.beginRecoverDeletedSecret('recoverable', { intervalInMs: 10 })
      ).pollUntilDone();
      expect(recovered.version).toBe(set.properties.version);
      expect((await client.getSecret('recoverable')).value).toBe('precious');
      const afterRecovery = await failure(client.getDeletedSecret('recoverable'));
      expect(afterRecovery.statusCode).toBe(404);
      expect(afterRecovery.message).toBe('Deleted Secret not found: recoverable');
    });

    it('purges a deleted secret for good and frees its name', async () => {
      await client.setSecret('purgeable', 'old-1');
      await client.setSecret('purgeable', 'old-2');
      await (await client.beginDeleteSecret('purgeable', { intervalInMs: 10 })).pollUntilDone();
      await client.purgeDeletedSecret('purgeable');
      expect((await failure(client.getDeletedSecret('purgeable'))).statusCode).toBe(404);
      expect((await failure(client.getSecret('purgeable'))).statusCode).toBe(404);
      expect(
        kv.calls().some((c) => c.method === 'DELETE' && c.path === '/deletedsecrets/purgeable' && c.status === 204),
      ).toBe(true);

      await client.setSecret('purgeable', 'fresh');
      expect((await client.getSecret('purgeable')).value).toBe('fresh');
      const versions: string[] = [];
      for await (const p of client.listPropertiesOfSecretVersions('purgeable')) versions.push(p.version!);
      expect(versions).toHaveLength(1);
    });

    it('polls through a slow deletion and a slow recovery', async () => {
      const slow = await startVault({ deleteRecoverDelayMs: 300 });
      const c = newClient(slow);
      await c.setSecret('slow', 'v');
      const poller = await c.beginDeleteSecret('slow', { intervalInMs: 50 });
      expect(poller.isDone()).toBe(false);
      const reuse = await failure(c.setSecret('slow', 'again'));
      expect(reuse.statusCode).toBe(409);
      expect(reuse.details?.error?.innerError?.code).toBe('ObjectIsBeingDeleted');
      await poller.pollUntilDone();
      const deletedPolls = slow.calls().filter((x) => x.method === 'GET' && x.path === '/deletedsecrets/slow');
      expect(deletedPolls.map((x) => x.status)).toContain(404);
      expect(deletedPolls[deletedPolls.length - 1]?.status).toBe(200);

      await (await c.beginRecoverDeletedSecret('slow', { intervalInMs: 50 })).pollUntilDone();
      expect((await c.getSecret('slow')).value).toBe('v');
    });

    it('refuses purge on a purge-protected vault', async () => {
      const protectedVault = await startVault({ purgeProtection: true });
      const c = newClient(protectedVault);
      const set = await c.setSecret('kept', 'v');
      expect(set.properties.recoveryLevel).toBe('Recoverable');
      await (await c.beginDeleteSecret('kept', { intervalInMs: 10 })).pollUntilDone();
      const err = await failure(c.purgeDeletedSecret('kept'));
      expect(err.statusCode).toBe(403);
      expect((await c.getDeletedSecret('kept')).name).toBe('kept');
    });
  });

  describe('listing', () => {
    it('pages secrets, versions and deleted secrets with nextLink and maxresults', async () => {
      const paged = await startVault();
      const c = newClient(paged);
      for (let i = 0; i < 7; i++) await c.setSecret(`page-${i}`, `value-${i}`);
      for (let i = 0; i < 4; i++) await c.setSecret('page-0', `v${i}`);
      paged.clearCalls();

      const pages: string[][] = [];
      for await (const page of c.listPropertiesOfSecrets().byPage({ maxPageSize: 3 }))
        pages.push(page.map((p) => p.name));
      expect(pages).toEqual([['page-0', 'page-1', 'page-2'], ['page-3', 'page-4', 'page-5'], ['page-6']]);
      const listCalls = paged.calls().filter((x) => x.path === '/secrets');
      expect(listCalls).toHaveLength(3);

      const all: string[] = [];
      for await (const p of c.listPropertiesOfSecrets()) all.push(p.name);
      expect(all).toHaveLength(7);

      const versionPages: number[] = [];
      for await (const page of c.listPropertiesOfSecretVersions('page-0').byPage({ maxPageSize: 2 })) {
        versionPages.push(page.length);
      }
      expect(versionPages).toEqual([2, 2, 1]);

      for (const n of ['page-5', 'page-6']) await (await c.beginDeleteSecret(n, { intervalInMs: 10 })).pollUntilDone();
      const deletedPages: string[][] = [];
      for await (const page of c.listDeletedSecrets().byPage({ maxPageSize: 1 }))
        deletedPages.push(page.map((d) => d.name));
      expect(deletedPages).toEqual([['page-5'], ['page-6']]);
    });

    it('lists items without values, ids without versions, and null nextLink on the last page', async () => {
      const small = await startVault();
      const c = newClient(small);
      await c.setSecret('item-a', 'value-a', { contentType: 'text/plain' });
      await c.setSecret('item-b', 'value-b');
      const token = await vaultToken();
      const res = await raw('GET', `${small.url}/secrets?api-version=7.6`, token);
      expect(res.status).toBe(200);
      const body = res.body as { value: Record<string, unknown>[]; nextLink: string | null };
      expect(body.nextLink).toBeNull();
      expect(body.value.map((i) => i.id)).toEqual([`${small.url}/secrets/item-a`, `${small.url}/secrets/item-b`]);
      for (const item of body.value) expect(item).not.toHaveProperty('value');
      expect(body.value[0]).toMatchObject({ contentType: 'text/plain', attributes: { enabled: true } });

      const first = await raw('GET', `${small.url}/secrets?api-version=7.6&maxresults=1`, token);
      const firstBody = first.body as { value: unknown[]; nextLink: string };
      expect(firstBody.value).toHaveLength(1);
      expect(firstBody.nextLink).toMatch(
        new RegExp(`^${small.url.replace(/\./g, '\\.')}/secrets\\?api-version=7\\.6&\\$skiptoken=[^&]+&maxresults=1$`),
      );
      const second = await raw('GET', firstBody.nextLink, token);
      expect(second.body).toMatchObject({ value: [{ id: `${small.url}/secrets/item-b` }], nextLink: null });
      const tooMany = await raw('GET', `${small.url}/secrets?api-version=7.6&maxresults=26`, token);
      expect(tooMany.status).toBe(400);
    });
  });

  describe('faults', () => {
    let faulty: RunningKeyVaultEmulator;
    let fastClient: SecretClient;

    beforeAll(async () => {
      faulty = await startVault();
      fastClient = newClient(faulty, { retryOptions: FAST_RETRIES });
      await fastClient.setSecret('faulty', 'value');
    });

    afterEach(() => faulty.resetFaults());

    const statusesFor = async (faults: Parameters<RunningKeyVaultEmulator['configureFaults']>[0]) => {
      faulty.configureFaults(faults);
      faulty.clearCalls();
      for (let i = 0; i < 6; i++) expect((await fastClient.getSecret('faulty')).value).toBe('value');
      return faulty.calls().map((c) => c.status);
    };

    it('injects 503s that SecretClient retries until it succeeds, as the call log shows', async () => {
      const statuses = await statusesFor({ seed: 42, serverErrorRate: 0.5, serverErrorStatus: 503 });
      const failures = statuses.filter((s) => s === 503).length;
      expect(failures).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 200)).toHaveLength(6);
      expect(statuses).toHaveLength(6 + failures);
      expect(new Set(statuses)).toEqual(new Set([200, 503]));
    });

    it('replays the same fault sequence for the same seed, and another for another seed', async () => {
      const a = await statusesFor({ seed: 7, serverErrorRate: 0.4, serverErrorStatus: 503 });
      const b = await statusesFor({ seed: 7, serverErrorRate: 0.4, serverErrorStatus: 503 });
      const c = await statusesFor({ seed: 8, serverErrorRate: 0.4, serverErrorStatus: 503 });
      expect(a).toContain(503);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    });

    it("throttles with 429, Retry-After and Key Vault's body, and the SDK honours it", async () => {
      faulty.configureFaults({ throttleRate: 1, retryAfterSeconds: 2 });
      const res = await raw('GET', `${faulty.url}/secrets/faulty?api-version=7.6`);
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('2');
      expect(res.body).toEqual({
        error: {
          code: 'Throttled',
          message:
            'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
        },
      });
      const statuses = await statusesFor({ seed: 3, throttleRate: 0.3, retryAfterSeconds: 0 });
      expect(statuses).toContain(429);
      expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    });

    it('drops connections, and the SDK retries them', async () => {
      const statuses = await statusesFor({ seed: 5, dropRate: 0.3 });
      expect(statuses).toContain(null);
      expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    });

    it('adds fixed latency to every call', async () => {
      faulty.configureFaults({ latencyMs: 150 });
      faulty.clearCalls();
      const t0 = Date.now();
      await fastClient.getSecret('faulty');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
      expect(faulty.calls()[0]?.durationMs).toBeGreaterThanOrEqual(145);
    });

    it('is configured over the admin endpoint too', async () => {
      const put = await raw('PUT', `${faulty.url}/_emulator/faults`, undefined, {
        seed: 11,
        serverErrorRate: 1,
        serverErrorStatus: 500,
      });
      expect(put.status).toBe(200);
      expect((await raw('GET', `${faulty.url}/secrets?api-version=7.6`)).status).toBe(500);
      expect((await raw('DELETE', `${faulty.url}/_emulator/faults`)).status).toBe(200);
      expect((await raw('GET', `${faulty.url}/secrets?api-version=7.6`)).status).toBe(401);
      const bad = await raw('PUT', `${faulty.url}/_emulator/faults`, undefined, { dropRate: 3 });
      expect(bad.status).toBe(400);
    });
  });

  describe('hygiene and persistence', () => {
    it('keeps tokens out of the call log and values out of the dump unless asked', async () => {
      const token = await vaultToken();
      await client.setSecret('hygiene', 'do-not-leak');
      const log = await raw('GET', `${kv.url}/_emulator/calls`);
      expect(JSON.stringify(log.body)).not.toContain(token.split('.')[2]);
      const dump = await raw('GET', `${kv.url}/_emulator/secrets`);
      expect(dump.status).toBe(200);
      expect(JSON.stringify(dump.body)).toContain('hygiene');
      expect(JSON.stringify(dump.body)).not.toContain('do-not-leak');
      expect((await raw('GET', `${kv.url}/_emulator/secrets?values=true`)).status).toBe(403);
      const inProcess = kv.dumpSecrets({ includeValues: true }).find((s) => s.name === 'hygiene');
      expect(inProcess?.versions[0]?.value).toBe('do-not-leak');
    });

    it('persists to a snapshot file (owner-only) and restores from it', async () => {
      const file = path.join(tmp, 'vault.json');
      const first = await startVault({ snapshotFile: file });
      const c1 = newClient(first);
      await c1.setSecret('persisted', 'survives', { tags: { k: 'v' } });
      await c1.setSecret('persisted-deleted', 'x');
      await (await c1.beginDeleteSecret('persisted-deleted', { intervalInMs: 10 })).pollUntilDone();
      await first.close();
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('secrets');

      const second = await startVault({ snapshotFile: file });
      const c2 = newClient(second);
      const got = await c2.getSecret('persisted');
      expect(got.value).toBe('survives');
      expect(got.properties.tags).toEqual({ k: 'v' });
      expect((await c2.getDeletedSecret('persisted-deleted')).name).toBe('persisted-deleted');
    });
  });
});
