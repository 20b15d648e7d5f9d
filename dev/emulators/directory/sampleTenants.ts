import type { TenantSeed } from './types';

/**
 * Two example tenants for `npm start` and tests: Contoso (provisioner holds Application.ReadWrite.OwnedBy plus the
 * consent permissions, a custom verified domain, a 2-year password policy) and Fabrikam (Application.ReadWrite.All
 * and Organization.Read.All, no consent permissions). Fixed ids and secrets: they exist only on this machine.
 */
export function sampleTenants(): TenantSeed[] {
  return [
    {
      tenantId: '7f3c2a10-4b8e-4c1d-9a65-0e2f1d3c4b5a',
      displayName: 'Contoso',
      initialDomain: 'contoso.onmicrosoft.com',
      verifiedDomains: ['contoso.com'],
      provisioner: {
        clientId: '3b9d1e2f-6a7c-4d8e-b1f0-2c3d4e5f6a7b',
        clientSecret: 'Ctz8Q~local-development-secret-contoso00',
        displayName: 'cm-entra-provisioner',
        graphAppRoles: [
          'Application.ReadWrite.OwnedBy',
          'AppRoleAssignment.ReadWrite.All',
          'DelegatedPermissionGrant.ReadWrite.All',
        ],
      },
      maxPasswordLifetimeDays: 730,
    },
    {
      tenantId: 'c1a2b3c4-d5e6-4f70-8a9b-0c1d2e3f4a5b',
      displayName: 'Fabrikam',
      initialDomain: 'fabrikam.onmicrosoft.com',
      verifiedDomains: [],
      provisioner: {
        clientId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
        clientSecret: 'Fbk8Q~local-development-secret-fabrikam0',
        graphAppRoles: ['Application.ReadWrite.All', 'Organization.Read.All'],
      },
    },
  ];
}
