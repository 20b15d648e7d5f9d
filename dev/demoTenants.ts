import {
  nameBasedGuid,
  type Directory,
  type EntityKind,
  type EntityRecord,
  type JsonObject,
} from './emulators/directory';
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
    'Organization.Read.All',
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

/**
 * The API's own app registration and its two callers, in the home tenant: the API app defines the app roles
 * (Registrations.Submit/Read/Admin) and exposes `api://{apiAppId}`; the "ITSM" app holds Submit + Read, the
 * "admin" app all three (app role assignments of the client service principal on the API's, which is where the
 * Entra emulator takes a token's `roles` from). Secrets are made at start-up and written to .data/local-stack.json.
 */
export const API_APP = {
  appId: '7d3e5f10-2a4b-4c6d-8e9f-a0b1c2d3e4f5',
  displayName: 'cm-entra-provisioner-api',
  roles: [
    { value: 'Registrations.Submit', id: '1b4f816e-5eaf-48b9-8613-7923830595ad', description: 'Submit tickets' },
    { value: 'Registrations.Read', id: '2c5a9f7e-6fb0-49ca-9724-8a34941606be', description: 'Read requests' },
    { value: 'Registrations.Admin', id: '3d6b0a8f-70c1-4adb-a835-9b45a52717cf', description: 'Administer requests' },
  ],
};

export const API_CALLERS = {
  itsm: {
    appId: '8e4f6a21-3b5c-4d7e-9fa0-b1c2d3e4f5a6',
    displayName: 'itsm-connector',
    roles: ['Registrations.Submit', 'Registrations.Read'],
  },
  admin: {
    appId: '9f5a7b32-4c6d-4e8f-a0b1-c2d3e4f5a6b7',
    displayName: 'cm-admin-console',
    roles: ['Registrations.Submit', 'Registrations.Read', 'Registrations.Admin'],
  },
  /** Signs in but holds no role on the API: what a 403 looks like. */
  noRole: { appId: 'a06b8c43-5d7e-4f90-b1c2-d3e4f5a6b7c8', displayName: 'unrelated-app', roles: [] as string[] },
};

export interface ApiCallerCredentials {
  clientId: string;
  clientSecret: string;
  roles: string[];
}

export interface SeededApi {
  appId: string;
  appIdUri: string;
  /** The token request's scope. */
  scope: string;
  /** API_AUDIENCE for the app. */
  audience: string;
  callers: Record<keyof typeof API_CALLERS, ApiCallerCredentials>;
}

export function seedApiApps(directory: Directory, tenantId: string): SeededApi {
  const tenant = directory.tenants.get(tenantId.toLowerCase());
  if (!tenant) throw new Error(`seedApiApps: no tenant ${tenantId}`);
  const tid = tenant.id;
  const now = new Date(directory.now()).toISOString();
  const put = (kind: EntityKind, data: JsonObject): EntityRecord => {
    const record: EntityRecord = { kind, data, createdMs: 0, owners: [] };
    tenant.collection(kind).set(String(data.id).toLowerCase(), record);
    return record;
  };
  const register = (appId: string, displayName: string, extra: JsonObject = {}) => {
    const app =
      tenant.applicationByAppId(appId) ??
      put('application', {
        id: nameBasedGuid(tid, 'application', appId),
        appId,
        displayName,
        createdDateTime: now,
        publisherDomain: tenant.initialDomain,
        signInAudience: 'AzureADMyOrg',
        ...extra,
      });
    const sp =
      tenant.servicePrincipalByAppId(appId) ??
      put('servicePrincipal', {
        id: nameBasedGuid(tid, 'servicePrincipal', appId),
        accountEnabled: true,
        appId,
        appDisplayName: displayName,
        displayName,
        appOwnerOrganizationId: tid,
        createdDateTime: now,
        servicePrincipalNames: [appId],
        servicePrincipalType: 'Application',
        signInAudience: 'AzureADMyOrg',
      });
    return { app, sp };
  };
  const appIdUri = `api://${API_APP.appId}`;
  const api = register(API_APP.appId, API_APP.displayName, {
    identifierUris: [appIdUri],
    appRoles: API_APP.roles.map((r) => ({
      allowedMemberTypes: ['Application', 'User'],
      description: r.description,
      displayName: r.value,
      id: r.id,
      isEnabled: true,
      origin: 'Application',
      value: r.value,
    })),
  });
  const callers = {} as Record<keyof typeof API_CALLERS, ApiCallerCredentials>;
  for (const [key, def] of Object.entries(API_CALLERS) as [keyof typeof API_CALLERS, (typeof API_CALLERS)['itsm']][]) {
    const { app, sp } = register(def.appId, def.displayName);
    for (const value of def.roles) {
      const role = API_APP.roles.find((r) => r.value === value)!;
      const id = nameBasedGuid(tid, 'appRoleAssignment', def.appId, role.id).replace(/-/g, '');
      put('appRoleAssignment', {
        id: Buffer.from(id + id, 'hex')
          .toString('base64url')
          .slice(0, 43),
        appRoleId: role.id,
        createdDateTime: now,
        principalDisplayName: def.displayName,
        principalId: sp.data.id,
        principalType: 'ServicePrincipal',
        resourceDisplayName: API_APP.displayName,
        resourceId: api.sp.data.id,
      });
    }
    const { secretText } = directory.addPassword(tenant, app, { displayName: 'local stack' });
    callers[key] = { clientId: def.appId, clientSecret: secretText, roles: [...def.roles] };
  }
  return {
    appId: API_APP.appId,
    appIdUri,
    scope: `${appIdUri}/.default`,
    audience: `${appIdUri},${API_APP.appId}`,
    callers,
  };
}
