// What the Function App's managed identity may do, and nothing more. Each assignment uses the narrowest built-in
// role for its job, is scoped to the one resource it concerns, and is named with a deterministic guid() of
// (scope, principal, role), so re-provisioning updates it in place instead of failing or duplicating it.

@description('Principal (object) id of the user-assigned managed identity.')
param principalId string

param storageAccountName string
param keyVaultName string
param applicationInsightsName string

// Azure built-in role definition ids: public and the same in every tenant
// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Blob: the Functions host keeps its locks and keys in blob containers of AzureWebJobsStorage, and Flex Consumption
// reads the deployment package from a blob container with this same identity (functionAppConfig.deployment.storage,
// UserAssignedIdentity). Microsoft documents Storage Blob Data Owner as the host's role for identity-based
// AzureWebJobsStorage ("Connecting to host storage with an identity"); Blob Data Contributor is not enough for it.
resource storageBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Functions host storage and Flex Consumption deployment package (blob).'
  }
}

// Queues: the pipeline's storage-queue triggers, the messages the app sends, and the host's poison queues.
resource storageQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Provisioning pipeline queues.'
  }
}

// Tables: request state and the ticket idempotency index.
resource storageTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Registration request tables.'
  }
}

// Secrets on this vault only: the app writes the server apps' client secrets and creates the callback signing key
// (Key Vault Secrets User could only read them).
resource keyVaultSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleIds.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsOfficer)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Client secrets and the callback signing key.'
  }
}

// Telemetry: the Application Insights component has local (instrumentation-key) auth disabled, so the host sends
// telemetry with Microsoft Entra authentication (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), which needs this role.
resource monitoringMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roleIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Entra-authenticated telemetry ingestion.'
  }
}
