import { ClientCertificateCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { ensureDevCertificates } from '../../../dev/certs';
import { sampleTenants, type TenantSeed } from '../../../dev/emulators/directory';
import { emulatorCredential, emulatorGraphClient } from '../../../dev/emulators/graph/sdk';
import { startEmulators, type RunningEmulators } from '../../../dev/emulators';

const [contoso, fabrikam] = sampleTenants() as [TenantSeed, TenantSeed];
const GRAPH = 'https://graph.microsoft.com/.default';

let tls: { cert: string; key: string };
let dir: string;
let stack: RunningEmulators;

function provisioner(s: RunningEmulators, seed: TenantSeed) {
  const cred = emulatorCredential(s.entra.url, seed.tenantId, seed.provisioner.clientId, seed.provisioner.clientSecret);
  return { cred, graph: emulatorGraphClient(s.graph.url, cred) };
}

beforeAll(async () => {
  tls = await ensureDevCertificates();
  dir = mkdtempSync(path.join(tmpdir(), 'emulators-'));
  stack = await startEmulators({
    tenants: [contoso, fabrikam],
    tls,
    directorySnapshotFile: path.join(dir, 'directory.json'),
  });
});

afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('startEmulators', () => {
  it("starts Key Vault for the first tenant, and it accepts Entra's tokens (checked through the JWKS)", async () => {
    expect(stack.keyVault).toBeDefined();
    const { cred } = provisioner(stack, contoso);
    const client = new SecretClient(stack.keyVault!.url, cred, { disableChallengeResourceVerification: true });
    await client.setSecret('cmg-server-secret', 's3cret');
    expect((await client.getSecret('cmg-server-secret')).value).toBe('s3cret');
  });

  it('signs an app in with a certificate registered through Graph keyCredentials (client assertion)', async () => {
    const { graph } = provisioner(stack, fabrikam);
    const pems = await generate([{ name: 'commonName', value: 'cmg-cert-client' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const der = Buffer.from(pems.cert.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const app = await graph.api('/applications').post({
      displayName: 'cert-client',
      keyCredentials: [{ type: 'AsymmetricX509Cert', usage: 'Verify', key: der.toString('base64') }],
    });
    expect(app.keyCredentials[0]).toMatchObject({
      displayName: 'CN=cmg-cert-client',
      key: null,
      type: 'AsymmetricX509Cert',
    });
    await graph.api('/servicePrincipals').post({ appId: app.appId });
    const cred = new ClientCertificateCredential(
      fabrikam.tenantId,
      app.appId,
      { certificate: `${pems.cert}\n${pems.private}` },
      { authorityHost: stack.entra.url, disableInstanceDiscovery: true },
    );
    const claims = decodeJwt((await cred.getToken(GRAPH)).token);
    expect(claims).toMatchObject({ appid: app.appId, appidacr: '2', tid: fabrikam.tenantId });

    const other = await generate([{ name: 'commonName', value: 'not-registered' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const wrong = new ClientCertificateCredential(
      fabrikam.tenantId,
      app.appId,
      { certificate: `${other.cert}\n${other.private}` },
      { authorityHost: stack.entra.url, disableInstanceDiscovery: true },
    );
    await expect(wrong.getToken(GRAPH)).rejects.toThrow(/AADSTS700027/);
  });

  it('keeps the directory, secrets and signing key across a restart with the same snapshot file', async () => {
    const { graph, cred } = provisioner(stack, contoso);
    const kid = decodeProtectedHeader((await cred.getToken(GRAPH)).token).kid;
    const app = await graph.api('/applications').post({ displayName: 'survives-restart' });
    await graph.api('/servicePrincipals').post({ appId: app.appId });
    const { secretText } = await graph.api(`/applications/${app.id}/addPassword`).post({});
    await stack.close();

    stack = await startEmulators({
      tenants: [contoso, fabrikam],
      tls,
      directorySnapshotFile: path.join(dir, 'directory.json'),
    });
    const again = provisioner(stack, contoso);
    expect((await again.graph.api(`/applications/${app.id}`).get()).displayName).toBe('survives-restart');
    expect(decodeProtectedHeader((await again.cred.getToken(GRAPH)).token).kid).toBe(kid);
    const appCred = emulatorCredential(stack.entra.url, contoso.tenantId, app.appId, secretText);
    expect(decodeJwt((await appCred.getToken(GRAPH)).token).appid).toBe(app.appId);
  });
});
