// cm-entra-provisioner on Azure: `azd up` provisions this template and deploys the `api` service of azure.yaml to the
// Function App tagged azd-service-name=api. The guide is docs/deploy.md; the layout is described in infra/README.md.
//
// What it creates, in one resource group:
//   - a user-assigned managed identity: the app's only credential (storage, Key Vault, telemetry, and the
//     federated-credential assertion for the multi-tenant provisioner app registration; no secret anywhere)
//   - a Storage account without shared-key access: the Functions host (blob), the pipeline queues and the tables
//   - a Key Vault (RBAC, soft delete, purge protection) for the server apps' client secrets
//   - Log Analytics + Application Insights (local auth off: telemetry is sent with the managed identity)
//   - a Flex Consumption plan and the Function App (Node.js, identity-based AzureWebJobsStorage__* settings)
//   - role assignments with the narrowest built-in roles, named with deterministic guid()s
// The provisioner app registration itself lives in Microsoft Entra ID, not in ARM: the postprovision hook
// (infra/scripts/setup-provisioner.*) creates it and grants its Microsoft Graph permissions.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment. Names the resource group and seeds the unique suffix of every resource.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer the Flex Consumption plan: az functionapp list-flexconsumption-locations')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Optional. Resource group name; defaults to rg-<environmentName>.')
param resourceGroupName string = ''

@description('Client id of the multi-tenant provisioner app registration. Empty on the first `azd up`: the postprovision hook creates the app, stores its id in the azd environment (PROVISIONER_CLIENT_ID) and sets the app setting.')
param provisionerClientId string = ''

@description('Audiences of callers\' Entra access tokens: the API app registration\'s client id and/or App ID URI (comma-separated). See docs/deploy.md.')
param apiAudience string = ''

@description('Comma-separated GUIDs of the tenants that may be provisioned (the allowlist; empty = none).')
param allowedTenantIds string = ''

@description('Node.js major version of the Function App (Flex Consumption supports 20 and 22).')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '20'

@description('Upper bound of Flex Consumption scale-out (40 is the plan minimum).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Log Analytics retention, in days.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
// Flex Consumption keeps the deployment package in a blob container of the host storage account.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// Azure Verified Module, pinned (version listed in the module's CHANGELOG and used by Microsoft's Flex Consumption azd template).
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

// Azure Verified Module, pinned (used with these parameters by Microsoft's Flex Consumption azd template).
module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: logRetentionInDays
  }
}

// Azure Verified Module, pinned (version listed in the module's CHANGELOG). Local (instrumentation-key) auth is off:
// the Functions host sends telemetry with the managed identity (Monitoring Metrics Publisher, see role-assignments).
module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

// Plain declarations from here on: the security properties (shared key off, RBAC, purge protection, Flex
// functionAppConfig, every app setting) must be visible in this repository and pinned by its structure tests.
module storage './modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault './modules/key-vault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
  }
}

module roles './modules/role-assignments.bicep' = {
  name: 'roleAssignments'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: appInsights.outputs.name
  }
}

module functionApp './modules/function-app.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: appInsights.outputs.name
    keyVaultUri: keyVault.outputs.uri
    provisionerClientId: provisionerClientId
    provisionerTenantId: tenant().tenantId
    apiAudience: apiAudience
    allowedTenantIds: allowedTenantIds
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The host starts with its storage, vault and telemetry permissions already in place.
  dependsOn: [
    roles
  ]
}

// azd reads these into the environment (.azure/<env>/.env); the postprovision hook and docs/deploy.md use them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output KEY_VAULT_URL string = keyVault.outputs.uri
output MANAGED_IDENTITY_NAME string = identity.outputs.name
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output PROVISIONER_TENANT_ID string = tenant().tenantId
output APPLICATIONINSIGHTS_NAME string = appInsights.outputs.name
output LOG_ANALYTICS_WORKSPACE_NAME string = logAnalytics.outputs.name
