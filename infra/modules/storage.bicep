// The Storage account of the Functions host and of the app: blob (Flex Consumption deployment package, host
// locks), queues (the provisioning pipeline) and tables (request state). Shared-key access is off, so every client
// (the host, the app, the deployment) authenticates with Microsoft Entra ID; there is no key or connection string.

@description('Storage account name (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

param location string
param tags object

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Redundancy of the account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param skuName string = 'Standard_LRS'

// Keep in step with src/shared/adapters/storageNames.ts (test/unit/infra pins it). The poison queues are where the
// Functions host moves a message after maxDequeueCount failures; creating them up front keeps them visible.
var queueNames = [
  'provisioning-steps'
  'provisioning-steps-poison'
  'registration-callbacks'
  'registration-callbacks-poison'
  'secret-renewals'
  'secret-renewals-poison'
  'secret-notifications'
  'secret-notifications-poison'
]
var tableNames = [
  'registrations'
  'registrationtickets'
  'secretexpiry'
  'registrationaudit'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

output name string = storage.name
output resourceId string = storage.id
output deploymentContainerName string = deploymentContainer.name
