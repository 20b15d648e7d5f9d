import type { JsonObject } from './types';

/** Microsoft Graph's appId, the same in every tenant and cloud. */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Azure Key Vault's appId. */
export const AZURE_KEY_VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093';
/** The tenant that owns Microsoft's first-party applications (appOwnerOrganizationId of their service principals). */
export const MICROSOFT_SERVICES_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

/** Resource identifiers that mean Microsoft Graph (public, US Gov L4/L5, China, and the appId). */
export const GRAPH_RESOURCE_IDS: readonly string[] = [
  'https://graph.microsoft.com',
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn',
  'https://canary.graph.microsoft.com',
  MICROSOFT_GRAPH_APP_ID,
];

export const KEY_VAULT_RESOURCE_IDS: readonly string[] = [
  'https://vault.azure.net',
  'https://vault.usgovcloudapi.net',
  'https://vault.azure.cn',
  AZURE_KEY_VAULT_APP_ID,
];

interface RoleDef {
  value: string;
  id: string;
  displayName: string;
  description: string;
}

/**
 * Microsoft Graph application permissions (app roles) with their real ids, from the Microsoft Graph permissions
 * reference. Only the ones this project can meet; the real service principal carries several hundred.
 */
export const GRAPH_APP_ROLES: readonly RoleDef[] = [
  {
    value: 'Application.Read.All',
    id: '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30',
    displayName: 'Read all applications',
    description: 'Allows the app to read all applications and service principals without a signed-in user.',
  },
  {
    value: 'Application.ReadWrite.All',
    id: '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9',
    displayName: 'Read and write all applications',
    description:
      'Allows the app to create, read, update and delete applications and service principals without a signed-in user.  Does not allow management of consent grants.',
  },
  {
    value: 'Application.ReadWrite.OwnedBy',
    id: '18a4783c-866b-4cc7-a460-3d5e5662c884',
    displayName: 'Manage apps that this app creates or owns',
    description:
      'Allows the app to create other applications, and fully manage those applications (read, update, update application secrets and delete), without a signed-in user.  It cannot update any apps that it is not an owner of.',
  },
  {
    value: 'AppRoleAssignment.ReadWrite.All',
    id: '06b708a9-e830-4db3-a914-8e69da51d44f',
    displayName: 'Manage app permission grants and app role assignments',
    description:
      'Allows the app to manage permission grants for application permissions to any API (including Microsoft Graph) and application assignments for any app, without a signed-in user.',
  },
  {
    value: 'DelegatedPermissionGrant.Read.All',
    id: '89c8469c-83ad-45f7-8ff2-6e3d4285709e',
    displayName: 'Read all delegated permission grants',
    description: 'Allows the app to read all delegated permission grants, without a signed-in user.',
  },
  {
    value: 'DelegatedPermissionGrant.ReadWrite.All',
    id: '8e8e4742-1d95-4f68-9d56-6ee75648c72a',
    displayName: 'Manage all delegated permission grants',
    description:
      'Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), without a signed-in user.',
  },
  {
    value: 'Directory.Read.All',
    id: '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
    displayName: 'Read directory data',
    description:
      "Allows the app to read data in your organization's directory, such as users, groups and apps, without a signed-in user.",
  },
  {
    value: 'Directory.ReadWrite.All',
    id: '19dbc75e-c2e2-444c-a770-ec69d8559fc7',
    displayName: 'Read and write directory data',
    description:
      "Allows the app to read and write data in your organization's directory, such as users, and groups, without a signed-in user.  Does not allow user or group deletion.",
  },
  {
    value: 'User.Read.All',
    id: 'df021288-bdef-4463-88db-98f22de89214',
    displayName: "Read all users' full profiles",
    description: 'Allows the app to read user profiles without a signed in user.',
  },
  {
    value: 'Organization.Read.All',
    id: '498476ce-e0fe-48b0-b801-37ba7e2685c6',
    displayName: 'Read organization information',
    description:
      'Allows the app to read the organization and related resources, without a signed-in user. Related resources include things like subscribed skus and tenant branding information.',
  },
  {
    value: 'Group.Read.All',
    id: '5b567255-7703-4780-807c-7be8301ae99b',
    displayName: 'Read all groups',
    description:
      'Allows the app to read group properties and memberships, and read conversations for all groups, without a signed-in user.',
  },
];

interface ScopeDef {
  value: string;
  id: string;
  type: 'User' | 'Admin';
  adminConsentDisplayName: string;
  adminConsentDescription: string;
}

/** Microsoft Graph delegated permissions (oauth2PermissionScopes) with their real ids. */
export const GRAPH_SCOPES: readonly ScopeDef[] = [
  {
    value: 'User.Read',
    id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d',
    type: 'User',
    adminConsentDisplayName: 'Sign in and read user profile',
    adminConsentDescription:
      'Allows users to sign-in to the app, and allows the app to read the profile of signed-in users. It also allows the app to read basic company information of signed-in users.',
  },
  {
    value: 'User.Read.All',
    id: 'a154be20-db9c-4678-8ab7-66f6cc099a59',
    type: 'Admin',
    adminConsentDisplayName: "Read all users' full profiles",
    adminConsentDescription:
      'Allows the app to read the full set of profile properties, reports, and managers of other users in your organization, on behalf of the signed-in user.',
  },
  {
    value: 'User.ReadBasic.All',
    id: 'b340eb25-3456-403f-be2f-af7a0d370277',
    type: 'User',
    adminConsentDisplayName: "Read all users' basic profiles",
    adminConsentDescription:
      'Allows the app to read a basic set of profile properties of other users in your organization on behalf of the signed-in user.',
  },
  {
    value: 'Directory.Read.All',
    id: '06da0dbc-49e2-44d2-8312-53f166ab848a',
    type: 'Admin',
    adminConsentDisplayName: 'Read directory data',
    adminConsentDescription:
      "Allows the app to read data in your organization's directory, such as users, groups and apps.",
  },
  {
    value: 'Directory.AccessAsUser.All',
    id: '0e263e50-5827-48a4-b97c-d940288653c7',
    type: 'Admin',
    adminConsentDisplayName: 'Access directory as the signed in user',
    adminConsentDescription:
      'Allows the app to have the same access to information in the directory as the signed-in user.',
  },
  {
    value: 'Application.Read.All',
    id: 'c79f8feb-a9db-4090-85f9-90d820caa0eb',
    type: 'Admin',
    adminConsentDisplayName: 'Read applications',
    adminConsentDescription:
      'Allows the app to read applications and service principals on behalf of the signed-in user.',
  },
  {
    value: 'Application.ReadWrite.All',
    id: 'bdfbf15f-ee85-4955-8675-146e8e5296b5',
    type: 'Admin',
    adminConsentDisplayName: 'Read and write all applications',
    adminConsentDescription:
      'Allows the app to create, read, update and delete applications and service principals on behalf of the signed-in user. Does not allow management of consent grants.',
  },
  {
    value: 'AppRoleAssignment.ReadWrite.All',
    id: '84bccea3-f856-4a8a-967b-dbe0a3d53a64',
    type: 'Admin',
    adminConsentDisplayName: 'Manage app permission grants and app role assignments',
    adminConsentDescription:
      'Allows the app to manage permission grants for application permissions to any API (including Microsoft Graph) and application assignments for any app, on behalf of the signed-in user.',
  },
  {
    value: 'DelegatedPermissionGrant.ReadWrite.All',
    id: '41ce6ca6-6826-4807-84f1-1c82854f7ee5',
    type: 'Admin',
    adminConsentDisplayName: 'Manage all delegated permission grants',
    adminConsentDescription:
      'Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), on behalf of the signed in user.',
  },
  {
    value: 'openid',
    id: '37f7f235-527c-4136-accd-4a02d197296e',
    type: 'User',
    adminConsentDisplayName: 'Sign users in',
    adminConsentDescription:
      'Allows users to sign in to the app with their work or school accounts and allows the app to see basic user profile information.',
  },
  {
    value: 'profile',
    id: '14dad69e-099b-42c9-810b-d002981feec1',
    type: 'User',
    adminConsentDisplayName: "View users' basic profile",
    adminConsentDescription:
      "Allows the app to see your users' basic profile (e.g., name, picture, user name, email address)",
  },
  {
    value: 'email',
    id: '64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0',
    type: 'User',
    adminConsentDisplayName: "View users' email address",
    adminConsentDescription: "Allows the app to read your users' primary email address",
  },
  {
    value: 'offline_access',
    id: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182',
    type: 'User',
    adminConsentDisplayName: 'Maintain access to data you have given it access to',
    adminConsentDescription:
      'Allows the app to see and update the data you gave it access to, even when users are not currently using the app. This does not give the app any additional permissions.',
  },
];

export function graphAppRoleByValue(value: string): RoleDef | undefined {
  return GRAPH_APP_ROLES.find((r) => r.value === value);
}

/** The stored properties of Microsoft Graph's service principal, present in every tenant. */
export function microsoftGraphServicePrincipal(id: string): JsonObject {
  return {
    id,
    accountEnabled: true,
    appDisplayName: 'Microsoft Graph',
    appId: MICROSOFT_GRAPH_APP_ID,
    appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT_ID,
    appRoleAssignmentRequired: false,
    displayName: 'Microsoft Graph',
    servicePrincipalType: 'Application',
    signInAudience: 'AzureADMultipleOrgs',
    servicePrincipalNames: [
      'https://canary.graph.microsoft.com',
      'https://graph.microsoft.us',
      'https://dod-graph.microsoft.us',
      `${MICROSOFT_GRAPH_APP_ID}/ags.windows.net`,
      MICROSOFT_GRAPH_APP_ID,
      'https://canary.graph.microsoft.com/',
      'https://graph.microsoft.com',
      'https://ags.windows.net',
      'https://graph.microsoft.us/',
      'https://graph.microsoft.com/',
      'https://dod-graph.microsoft.us/',
    ],
    appRoles: GRAPH_APP_ROLES.map((r) => ({
      allowedMemberTypes: ['Application'],
      description: r.description,
      displayName: r.displayName,
      id: r.id,
      isEnabled: true,
      origin: 'Application',
      value: r.value,
    })),
    oauth2PermissionScopes: GRAPH_SCOPES.map((s) => ({
      adminConsentDescription: s.adminConsentDescription,
      adminConsentDisplayName: s.adminConsentDisplayName,
      id: s.id,
      isEnabled: true,
      type: s.type,
      userConsentDescription: s.type === 'User' ? s.adminConsentDescription : null,
      userConsentDisplayName: s.type === 'User' ? s.adminConsentDisplayName : null,
      value: s.value,
    })),
  };
}

/** Azure Key Vault's service principal (tokens for https://vault.azure.net are issued against it). */
export function azureKeyVaultServicePrincipal(id: string): JsonObject {
  return {
    id,
    accountEnabled: true,
    appDisplayName: 'Azure Key Vault',
    appId: AZURE_KEY_VAULT_APP_ID,
    appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT_ID,
    appRoleAssignmentRequired: false,
    displayName: 'Azure Key Vault',
    servicePrincipalType: 'Application',
    signInAudience: 'AzureADMultipleOrgs',
    servicePrincipalNames: [...KEY_VAULT_RESOURCE_IDS],
    appRoles: [],
    oauth2PermissionScopes: [
      {
        adminConsentDescription: 'Grants access to the Azure Key Vault service',
        adminConsentDisplayName: 'Have full access to the Azure Key Vault service',
        id: 'f53da476-18e3-4152-8e01-aec403e6edc0',
        isEnabled: true,
        type: 'User',
        userConsentDescription: 'Allow the application access to Azure Key Vault on your behalf.',
        userConsentDisplayName: 'Have full access to the Azure Key Vault service',
        value: 'user_impersonation',
      },
    ],
  };
}
