/**
 * Well-known public identifiers that infra/ may contain. They are the same in every tenant and are published by
 * Microsoft, so they are not secrets; the secret scan allows exactly these GUIDs and flags any other GUID literal
 * (a tenant, subscription or object id, or a secret, has no business in a template).
 */

export interface PublicId {
  id: string;
  name: string;
  source: string;
}

const ROLES_SOURCE = 'Azure built-in roles (learn.microsoft.com/azure/role-based-access-control/built-in-roles)';
const GRAPH_SOURCE = 'Microsoft Graph permissions reference (learn.microsoft.com/graph/permissions-reference)';

/** Azure built-in role definitions the templates assign (the narrowest for each job). */
export const ROLE_DEFINITIONS = {
  storageBlobDataOwner: { id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', name: 'Storage Blob Data Owner' },
  storageQueueDataContributor: { id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88', name: 'Storage Queue Data Contributor' },
  storageTableDataContributor: { id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', name: 'Storage Table Data Contributor' },
  keyVaultSecretsOfficer: { id: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7', name: 'Key Vault Secrets Officer' },
  monitoringMetricsPublisher: { id: '3913510d-42f4-4e42-8a64-420c390055eb', name: 'Monitoring Metrics Publisher' },
} as const;

/** Microsoft Graph's appId (the same in every tenant and cloud). */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The provisioner app's Microsoft Graph application permissions (app roles). SECURITY.md must list the same. */
export const GRAPH_APPLICATION_PERMISSIONS = [
  { name: 'Application.ReadWrite.OwnedBy', id: '18a4783c-866b-4cc7-a460-3d5e5662c884' },
  { name: 'AppRoleAssignment.ReadWrite.All', id: '06b708a9-e830-4db3-a914-8e69da51d44f' },
  { name: 'DelegatedPermissionGrant.ReadWrite.All', id: '8e8e4742-1d95-4f68-9d56-6ee75648c72a' },
  { name: 'Organization.Read.All', id: '498476ce-e0fe-48b0-b801-37ba7e2685c6' },
] as const;

/** Broad roles that must never appear in infra/ (Owner, Contributor, User Access Administrator, and the like). */
export const FORBIDDEN_ROLE_DEFINITIONS: readonly PublicId[] = [
  { id: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', name: 'Owner', source: ROLES_SOURCE },
  { id: 'b24988ac-6180-42a0-ab88-20f7382dd24c', name: 'Contributor', source: ROLES_SOURCE },
  { id: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', name: 'User Access Administrator', source: ROLES_SOURCE },
  { id: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168', name: 'Role Based Access Control Administrator', source: ROLES_SOURCE },
  { id: '17d1049b-9a84-46fb-8f53-869881c3d3ab', name: 'Storage Account Contributor', source: ROLES_SOURCE },
  { id: '00482a5a-887f-4fb3-b363-3b7fe8e74483', name: 'Key Vault Administrator', source: ROLES_SOURCE },
  { id: 'f25e0fa2-a7c8-4377-a976-54943a77a395', name: 'Key Vault Contributor', source: ROLES_SOURCE },
];

/** Every GUID infra/ (and the deployment guide) may contain. */
export const PUBLIC_ID_ALLOWLIST: readonly PublicId[] = [
  ...Object.values(ROLE_DEFINITIONS).map((r) => ({ ...r, source: ROLES_SOURCE })),
  { id: MICROSOFT_GRAPH_APP_ID, name: 'Microsoft Graph (appId)', source: GRAPH_SOURCE },
  ...GRAPH_APPLICATION_PERMISSIONS.map((p) => ({ ...p, source: GRAPH_SOURCE })),
];
