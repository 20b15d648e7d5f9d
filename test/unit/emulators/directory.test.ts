import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Directory, sampleTenants, type TenantSeed } from '../../../dev/emulators/directory';

const [contoso] = sampleTenants() as [TenantSeed];

describe('Directory', () => {
  it('seeds Graph, Key Vault and the provisioner with its consented Graph roles', () => {
    const d = Directory.fromSeeds([contoso]);
    const t = d.resolveTenant('CONTOSO.com')!;
    expect(t.id).toBe(contoso.tenantId);
    const sp = t.servicePrincipalByAppId(contoso.provisioner.clientId)!;
    expect(t.grantedRoleValues(String(sp.data.id), t.graphServicePrincipal)).toEqual(
      [...contoso.provisioner.graphAppRoles].sort(),
    );
    expect(t.servicePrincipalForResource('https://vault.azure.net/')?.data.displayName).toBe('Azure Key Vault');
    // seeded ids are stable across restarts
    expect(Directory.fromSeeds([contoso]).resolveTenant(contoso.tenantId)!.graphServicePrincipal.data.id).toBe(
      t.graphServicePrincipal.data.id,
    );
  });

  it('refuses a seed with an unknown Graph role, naming it', () => {
    const bad = { ...contoso, provisioner: { ...contoso.provisioner, graphAppRoles: ['Application.ReadWrite.Owned'] } };
    expect(() => Directory.fromSeeds([bad])).toThrow(/Application\.ReadWrite\.Owned/);
  });

  it('authenticates secrets until they expire or are removed, without storing them', () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const d = Directory.fromSeeds([contoso], () => now);
    const t = d.resolveTenant(contoso.tenantId)!;
    const app = t.applicationByAppId(contoso.provisioner.clientId)!;
    const { credential, secretText } = d.addPassword(t, app, { endDateTime: '2030-01-02T00:00:00Z' });
    expect(JSON.stringify(d.toSnapshot())).not.toContain(secretText);
    expect(d.authenticateClientSecret(t, contoso.provisioner.clientId, secretText).ok).toBe(true);
    expect(d.authenticateClientSecret(t, contoso.provisioner.clientId, contoso.provisioner.clientSecret).ok).toBe(true);
    expect(d.authenticateClientSecret(t, contoso.provisioner.clientId, 'nope')).toEqual({
      ok: false,
      reason: 'invalidSecret',
    });
    now = Date.parse('2030-01-03T00:00:00Z');
    expect(d.authenticateClientSecret(t, contoso.provisioner.clientId, secretText)).toEqual({
      ok: false,
      reason: 'expiredSecret',
    });
    expect(d.removePassword(t, app, String(credential.keyId))).toBe(true);
    expect(d.authenticateClientSecret(t, contoso.provisioner.clientId, secretText)).toEqual({
      ok: false,
      reason: 'invalidSecret',
    });
    expect(d.authenticateClientSecret(t, '00000000-0000-4000-8000-000000000000', 'x')).toEqual({
      ok: false,
      reason: 'unknownClient',
    });
  });

  it('round-trips through a snapshot file, secrets and signing key included', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'directory-'));
    try {
      const d = Directory.fromSeeds([contoso]);
      d.signingKey = { kty: 'RSA', n: 'x', e: 'AQAB' };
      const t = d.resolveTenant(contoso.tenantId)!;
      const app = t.applicationByAppId(contoso.provisioner.clientId)!;
      const { secretText } = d.addPassword(t, app, {});
      const file = path.join(dir, 'directory.json');
      d.saveSnapshot(file);
      const loaded = Directory.loadSnapshot(file);
      const lt = loaded.resolveTenant('contoso.onmicrosoft.com')!;
      expect(loaded.signingKey).toEqual(d.signingKey);
      expect(loaded.authenticateClientSecret(lt, contoso.provisioner.clientId, secretText).ok).toBe(true);
      expect([...lt.applications.keys()]).toEqual([...t.applications.keys()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
