import type { TenantSeed } from './emulators';

/**
 * The local stack's tenants. The provisioner is one multi-tenant app (the same client id and secret in every
 * tenant, as a multi-tenant app registration with a service principal in each consenting tenant): Contoso is its
 * home (its Key Vault lives there), Fabrikam a second target tenant. Ids and the secret exist only on this machine.
 */
export const PROVISIONER = {
  clientId: '5b2f9c3e-8d41-4a6f-9e07-1c2d3e4f5a6b',
  clientSecret: 'local-only~provisioner-secret-for-the-emulated-tenants',
  graphAppRoles: [
    'Application.ReadWrite.OwnedBy',
    'AppRoleAssignment.ReadWrite.All',
    'DelegatedPermissionGrant.ReadWrite.All',
  ],
};

export function demoTenants(): TenantSeed[] {
  const provisioner = { ...PROVISIONER, displayName: 'cm-entra-provisioner' };
  return [
    {
      tenantId: '0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e',
      displayName: 'Contoso',
      initialDomain: 'contoso.onmicrosoft.com',
      verifiedDomains: ['contoso.com'],
      provisioner,
      maxPasswordLifetimeDays: 730,
    },
    {
      tenantId: '6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c',
      displayName: 'Fabrikam',
      initialDomain: 'fabrikam.onmicrosoft.com',
      verifiedDomains: ['fabrikam.com'],
      provisioner,
    },
  ];
}
