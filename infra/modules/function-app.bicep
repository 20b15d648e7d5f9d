// The Function App on a Flex Consumption plan (Linux, Node.js), running as the user-assigned managed identity.
// Every app setting is listed in `appSettings` below; test/unit/infra/config-contract.test.ts holds them to the
// settings the app reads (src/shared/config) plus a documented list of Functions-host-owned settings. No key,
// password or storage connection string appears here: storage, Key Vault and Application Insights are all reached
// with the managed identity.

@description('Function App name (its host name, globally unique).')
param name string

@description('Flex Consumption plan name.')
param planName string

param location string
param tags object

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityResourceId string

@description('Client id of that identity (identity-based storage, Key Vault, telemetry, federation assertion).')
param identityClientId string

@description('Host and app storage account (shared-key access disabled).')
param storageAccountName string

@description('Blob container of the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Application Insights component (local auth disabled).')
param applicationInsightsName string

@description('URI of the Key Vault that keeps the client secrets.')
param keyVaultUri string

@description('Client id of the multi-tenant provisioner app registration (empty until the postprovision hook creates it).')
param provisionerClientId string

@description('Home tenant of the provisioner app, the Function App and its identity.')
param provisionerTenantId string

@description('Audiences of callers\' access tokens: the API app registration\'s client id and/or App ID URI (comma-separated).')
param apiAudience string

@description('Comma-separated GUIDs of the tenants that may be provisioned (empty = none).')
param allowedTenantIds string

@allowed([
  '20'
  '22'
])
param nodeVersion string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the deployment target of the `api` service (azure.yaml) by this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Flex Consumption takes the runtime from functionAppConfig.runtime: FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION are not app settings on this plan, and neither is WEBSITE_RUN_FROM_PACKAGE.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // Functions host and app storage, identity-based: account + explicit endpoints (correct in every cloud), the
    // managed identity as credential. The app reads the queue and table endpoints through src/shared/config.
    AzureWebJobsStorage__accountName: storage.name
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    // Telemetry. The connection string only names the component (its instrumentation key is an identifier, and
    // local auth is disabled on the component); ingestion is authorized by the managed identity below.
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // The app (src/shared/config).
    KEY_VAULT_URL: keyVaultUri
    PROVISIONER_CLIENT_ID: provisionerClientId
    PROVISIONER_TENANT_ID: provisionerTenantId
    // Callers (src/shared/http/api.ts): Entra tokens for the API app, app roles; and the tenant allowlist.
    API_AUDIENCE: apiAudience
    ALLOWED_TENANT_IDS: allowedTenantIds
    PROVISIONER_CREDENTIAL: 'managedIdentityFederation'
    MANAGED_IDENTITY_CLIENT_ID: identityClientId
    // The API's public base URL in links sent to callbacks (set explicitly; change it behind a custom domain).
    PUBLIC_API_BASE_URL: 'https://${site.properties.defaultHostName}/api'
    // The secret lifecycle: the renewal sweep's timer reads %RENEWAL_SCHEDULE% (the host needs it set), daily 02:00
    // UTC; secrets are renewed 30 days before they expire.
    RENEWAL_SCHEDULE: '0 0 2 * * *'
    RENEW_BEFORE_DAYS: '30'
  }
}

output name string = site.name
output resourceId string = site.id
output defaultHostName string = site.properties.defaultHostName
