#!/usr/bin/env pwsh
<#
.SYNOPSIS
Creates (or brings up to date) the multi-tenant "provisioner" app registration of cm-entra-provisioner.

.DESCRIPTION
The provisioner app calls Microsoft Graph in each target tenant, with no secret anywhere:
  1. the app registration (multi-tenant) with the Microsoft Graph application permissions below, and its service
     principal in the home tenant;
  2. a federated identity credential that trusts the Function App's user-assigned managed identity: the app gets a
     managed-identity token for audience api://AzureADTokenExchange and presents it as the client assertion;
  3. admin consent for those permissions in the home tenant (app role assignments on Microsoft Graph);
  4. PROVISIONER_CLIENT_ID in the azd environment and in the Function App's app settings;
  5. the admin-consent URL for every further target tenant.
It is idempotent: run it again at any time. `azd up` runs it as the postprovision hook (azure.yaml), with the Bicep
outputs in the environment; it also runs on its own. Bash twin: setup-provisioner.sh.

Needs PowerShell 7 and the Azure CLI (az), signed in to the home tenant as a user who may create app registrations;
granting the Graph application permissions needs Privileged Role Administrator (or Global Administrator).

.EXAMPLE
./infra/scripts/setup-provisioner.ps1 -PrincipalId <managed identity object id> -TargetTenant <tenant id>
#>
[CmdletBinding()]
param(
    # Home tenant of the app registration [AZURE_TENANT_ID, else the signed-in tenant].
    [string] $Tenant = $env:AZURE_TENANT_ID,
    # Object id of the Function App's managed identity [MANAGED_IDENTITY_PRINCIPAL_ID].
    [string] $PrincipalId = $env:MANAGED_IDENTITY_PRINCIPAL_ID,
    # An existing provisioner app to update [PROVISIONER_CLIENT_ID].
    [string] $ClientId = $env:PROVISIONER_CLIENT_ID,
    # Display name when creating the app [PROVISIONER_APP_DISPLAY_NAME, else cm-entra-provisioner-<env>].
    [string] $DisplayName = $env:PROVISIONER_APP_DISPLAY_NAME,
    # Further tenants to print the admin-consent URL for [PROVISIONER_TARGET_TENANTS, comma separated].
    [string[]] $TargetTenant = @(),
    # Function App whose PROVISIONER_CLIENT_ID to set [AZURE_FUNCTION_APP_NAME].
    [string] $FunctionApp = $env:AZURE_FUNCTION_APP_NAME,
    # Its resource group [AZURE_RESOURCE_GROUP].
    [string] $ResourceGroup = $env:AZURE_RESOURCE_GROUP,
    # The Function App's https:// base URL, the admin-consent reply URL [SERVICE_API_URI].
    [string] $ServiceUri = $env:SERVICE_API_URI,
    # Do not grant the permissions; print the consent URL instead [PROVISIONER_SKIP_ADMIN_CONSENT=true].
    [switch] $SkipAdminConsent
)

$ErrorActionPreference = 'Stop'
# az's failures are handled through $LASTEXITCODE below, not as PowerShell errors.
$PSNativeCommandUseErrorActionPreference = $false
Set-StrictMode -Version Latest

# Microsoft Graph's appId, the same in every tenant and cloud.
$GraphAppId = '00000003-0000-0000-c000-000000000000'
# Microsoft Graph application permissions (app roles) of the provisioner. Keep SECURITY.md, docs/deploy.md and
# setup-provisioner.sh in step (test/unit/infra/scripts.test.ts compares them).
$Permissions = @(
    [pscustomobject]@{ Name = 'Application.ReadWrite.OwnedBy'; Id = '18a4783c-866b-4cc7-a460-3d5e5662c884'; Why = 'create the CMG server and client app registrations, and change only the apps it created (it owns them)' }
    [pscustomobject]@{ Name = 'AppRoleAssignment.ReadWrite.All'; Id = '06b708a9-e830-4db3-a914-8e69da51d44f'; Why = 'grant admin consent for the application permission the server app needs (Microsoft Graph Directory.Read.All)' }
    [pscustomobject]@{ Name = 'DelegatedPermissionGrant.ReadWrite.All'; Id = '8e8e4742-1d95-4f68-9d56-6ee75648c72a'; Why = 'grant tenant-wide consent for the delegated permissions the apps need (User.Read, the server app scope)' }
    [pscustomobject]@{ Name = 'Organization.Read.All'; Id = '498476ce-e0fe-48b0-b801-37ba7e2685c6'; Why = 'read the verified domains of a target tenant (GET /organization) to check that an https:// App ID URI is on one of them' }
)
$FicName = 'function-app-managed-identity'
$GuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

function Write-Info([string] $Message) { Write-Host "[provisioner] $Message" }
function Write-Warn([string] $Message) { Write-Warning "[provisioner] $Message" }

# Runs az and returns its standard output; throws (with az's error text) when it fails.
function Invoke-Az {
    $output = & az @args
    if ($LASTEXITCODE -ne 0) { throw "az $($args -join ' ') failed (exit code $LASTEXITCODE)" }
    return $output
}

# Runs az with JSON output and returns the parsed result.
function Invoke-AzJson {
    $output = & az @args -o json
    if ($LASTEXITCODE -ne 0) { throw "az $($args -join ' ') failed (exit code $LASTEXITCODE)" }
    return (($output -join "`n") | ConvertFrom-Json)
}

# Like Invoke-Az, but returns $null instead of failing (for "does it exist?" questions).
function Invoke-AzOrNull {
    try { $output = & az @args 2>$null } catch { return $null }
    if ($LASTEXITCODE -ne 0) { return $null }
    return $output
}

# Writes JSON to a temporary file for az (inline JSON arguments do not survive az.cmd's quoting on Windows).
function New-JsonFile($InputObject) {
    $file = New-TemporaryFile
    ConvertTo-Json -InputObject $InputObject -Depth 5 -Compress | Set-Content -Path $file -Encoding utf8
    return $file
}

# Directory writes replicate for a few seconds: retry until the call succeeds (6 tries, 10 s apart).
function Invoke-AzRetry {
    for ($attempt = 1; ; $attempt++) {
        $output = & az @args
        if ($LASTEXITCODE -eq 0) { return $output }
        if ($attempt -ge 6) { throw "az $($args -join ' ') failed after $attempt attempts" }
        Write-Info "waiting for directory replication (attempt $attempt of 6)..."
        Start-Sleep -Seconds 10
    }
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    throw 'The Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli'
}
if ([string]::IsNullOrWhiteSpace($DisplayName)) {
    $envName = if ($env:AZURE_ENV_NAME) { $env:AZURE_ENV_NAME } else { 'default' }
    $DisplayName = "cm-entra-provisioner-$envName"
}
if ($TargetTenant.Count -eq 0 -and $env:PROVISIONER_TARGET_TENANTS) {
    $TargetTenant = $env:PROVISIONER_TARGET_TENANTS -split '[,; ]+' | Where-Object { $_ }
}
if ($env:PROVISIONER_SKIP_ADMIN_CONSENT -eq 'true') { $SkipAdminConsent = $true }

$signedInTenant = Invoke-AzOrNull account show --query tenantId -o tsv
if (-not $signedInTenant) {
    throw 'Not signed in to the Azure CLI: run az login --tenant <home tenant id> (azd and az keep separate sign-ins).'
}
if ([string]::IsNullOrWhiteSpace($Tenant)) { $Tenant = $signedInTenant }
if ($Tenant -notmatch $GuidPattern) { throw "The home tenant id is not a GUID: '$Tenant'" }
if ($signedInTenant -ne $Tenant) {
    throw "az is signed in to tenant $signedInTenant, but the app belongs in ${Tenant}: run az login --tenant $Tenant"
}

# Endpoints of the cloud az is set to (public, US Government, China).
$cloud = Invoke-AzJson cloud show
$authority = $cloud.endpoints.activeDirectory.TrimEnd('/')
$graphUrl = $cloud.endpoints.microsoftGraphResourceId.TrimEnd('/')
$defaultAudience = switch ($cloud.name) {
    'AzureUSGovernment' { 'api://AzureADTokenExchangeUSGov' }
    'AzureChinaCloud' { 'api://AzureADTokenExchangeChina' }
    default { 'api://AzureADTokenExchange' }
}
$audience = if ($env:PROVISIONER_FIC_AUDIENCE) { $env:PROVISIONER_FIC_AUDIENCE } else { $defaultAudience }

# 1. The app registration.
if (-not [string]::IsNullOrWhiteSpace($ClientId)) {
    if ($ClientId -notmatch $GuidPattern) { throw "PROVISIONER_CLIENT_ID is not a GUID: '$ClientId'" }
    $appObjectId = Invoke-AzOrNull ad app show --id $ClientId --query id -o tsv
    if (-not $appObjectId) {
        throw "No app registration with client id $ClientId in tenant $Tenant (unset PROVISIONER_CLIENT_ID to create one)."
    }
    Write-Info "using app registration $ClientId"
}
else {
    $sameName = @(Invoke-AzJson ad app list --display-name $DisplayName)
    if ($sameName.Count -gt 1) {
        throw "$($sameName.Count) app registrations are named '$DisplayName': pass the right one with -ClientId (or PROVISIONER_CLIENT_ID)."
    }
    elseif ($sameName.Count -eq 1) {
        $ClientId = $sameName[0].appId
        Write-Info "found app registration '$DisplayName' ($ClientId)"
    }
    else {
        $ClientId = Invoke-Az ad app create --display-name $DisplayName --sign-in-audience AzureADMultipleOrgs --query appId -o tsv
        Write-Info "created app registration '$DisplayName' ($ClientId)"
    }
    $appObjectId = Invoke-AzRetry ad app show --id $ClientId --query id -o tsv
}

# Multi-tenant, and exactly the Graph application permissions above (anything else requested is removed).
$requiredResourceAccess = @(
    @{
        resourceAppId  = $GraphAppId
        resourceAccess = @($Permissions | ForEach-Object { @{ id = $_.Id; type = 'Role' } })
    }
)
$rraFile = New-JsonFile $requiredResourceAccess
try {
    $updateArgs = @('ad', 'app', 'update', '--id', $appObjectId, '--sign-in-audience', 'AzureADMultipleOrgs', '--required-resource-accesses', "@$rraFile")
    # Where an administrator's browser lands after admin consent: the Function App's anonymous health endpoint. The
    # app never signs anyone in (and has no secret to redeem a code with); without a reply URL the consent page refuses.
    if ($ServiceUri) { $updateArgs += @('--web-redirect-uris', "$($ServiceUri.TrimEnd('/'))/api/health") }
    Invoke-AzRetry @updateArgs | Out-Null
}
finally {
    Remove-Item -Path $rraFile -Force -ErrorAction SilentlyContinue
}
Write-Info 'requested Microsoft Graph application permissions:'
foreach ($permission in $Permissions) { Write-Info "  $($permission.Name) ($($permission.Id)): $($permission.Why)" }

# Its service principal in the home tenant (where consent is recorded).
$spId = Invoke-AzOrNull ad sp show --id $ClientId --query id -o tsv
if (-not $spId) {
    $spId = Invoke-AzRetry ad sp create --id $ClientId --query id -o tsv
    Write-Info "created its service principal ($spId)"
}

# 2. Trust the managed identity: a federated identity credential, never a client secret or certificate.
if ([string]::IsNullOrWhiteSpace($PrincipalId)) {
    Write-Warn 'No managed identity principal id (MANAGED_IDENTITY_PRINCIPAL_ID or -PrincipalId): the federated credential was not set; run azd provision first.'
}
else {
    if ($PrincipalId -notmatch $GuidPattern) { throw "The managed identity principal id is not a GUID: '$PrincipalId'" }
    $issuer = "$authority/$Tenant/v2.0"
    $fic = [ordered]@{
        name        = $FicName
        issuer      = $issuer
        subject     = $PrincipalId
        audiences   = @($audience)
        description = 'The cm-entra-provisioner Function App managed identity'
    }
    $ficFile = New-JsonFile $fic
    try {
        $existing = @(Invoke-AzJson ad app federated-credential list --id $appObjectId) |
            Where-Object { $_.name -eq $FicName } | Select-Object -First 1
        if (-not $existing) {
            Invoke-AzRetry ad app federated-credential create --id $appObjectId --parameters $ficFile.FullName --output none | Out-Null
            Write-Info "federated credential '$FicName': trusts managed identity $PrincipalId (issuer $issuer, audience $audience)"
        }
        elseif ($existing.issuer -ne $issuer -or $existing.subject -ne $PrincipalId -or @($existing.audiences)[0] -ne $audience) {
            Invoke-Az ad app federated-credential update --id $appObjectId --federated-credential-id $existing.id --parameters $ficFile.FullName --output none | Out-Null
            Write-Info "federated credential '$FicName' updated: now trusts managed identity $PrincipalId"
        }
        else {
            Write-Info "federated credential '$FicName' already trusts managed identity $PrincipalId"
        }
    }
    finally {
        Remove-Item -Path $ficFile -Force -ErrorAction SilentlyContinue
    }
}

# 3. Admin consent in the home tenant: one app role assignment on Microsoft Graph per permission.
$homeConsentUrl = "$authority/$Tenant/adminconsent?client_id=$ClientId"
$consentOk = $true
if ($SkipAdminConsent) {
    $consentOk = $false
    Write-Warn 'Admin consent skipped (PROVISIONER_SKIP_ADMIN_CONSENT): a Privileged Role Administrator must consent.'
}
else {
    $graphSpId = Invoke-Az ad sp show --id $GraphAppId --query id -o tsv
    $granted = @(Invoke-AzRetry rest --method GET --url "$graphUrl/v1.0/servicePrincipals/$spId/appRoleAssignments" `
            --query "value[?resourceId=='$graphSpId'].appRoleId" -o tsv)
    foreach ($permission in $Permissions) {
        if ($granted -contains $permission.Id) {
            Write-Info "  consent already granted: $($permission.Name)"
            continue
        }
        $bodyFile = New-JsonFile ([ordered]@{ principalId = $spId; resourceId = $graphSpId; appRoleId = $permission.Id })
        try {
            Invoke-AzRetry rest --method POST --url "$graphUrl/v1.0/servicePrincipals/$graphSpId/appRoleAssignedTo" `
                --headers 'Content-Type=application/json' --body "@$($bodyFile.FullName)" --output none | Out-Null
            Write-Info "  consent granted: $($permission.Name)"
        }
        catch {
            $consentOk = $false
            Write-Warn "Could not grant $($permission.Name) (granting Microsoft Graph application permissions needs Privileged Role Administrator or Global Administrator)."
        }
        finally {
            Remove-Item -Path $bodyFile -Force -ErrorAction SilentlyContinue
        }
    }
}
if (-not $consentOk) {
    Write-Warn "Ask an administrator of tenant $Tenant to open: $homeConsentUrl"
}

# 4. Record the client id: in the azd environment (the next `azd provision` sets the app setting from it) and,
#    right away, in the Function App.
if ($env:AZURE_ENV_NAME -and (Get-Command azd -ErrorAction SilentlyContinue)) {
    & azd env set PROVISIONER_CLIENT_ID $ClientId
    if ($LASTEXITCODE -ne 0) { throw 'azd env set PROVISIONER_CLIENT_ID failed' }
    Write-Info "azd environment '$($env:AZURE_ENV_NAME)': PROVISIONER_CLIENT_ID=$ClientId"
}
if ($FunctionApp -and $ResourceGroup) {
    $currentSetting = Invoke-Az functionapp config appsettings list --name $FunctionApp --resource-group $ResourceGroup `
        --query "[?name=='PROVISIONER_CLIENT_ID'].value | [0]" -o tsv
    if ($currentSetting -ne $ClientId) {
        Invoke-Az functionapp config appsettings set --name $FunctionApp --resource-group $ResourceGroup `
            --settings "PROVISIONER_CLIENT_ID=$ClientId" --output none | Out-Null
        Write-Info "Function App ${FunctionApp}: PROVISIONER_CLIENT_ID set"
    }
}

# 5. Further target tenants: an administrator of each opens its URL and consents.
Write-Info ''
Write-Info "provisioner app: $ClientId (home tenant $Tenant)"
Write-Info 'admin-consent URL for each further target tenant (a Privileged Role Administrator or Global Administrator of that tenant opens it):'
$foundTarget = $false
foreach ($t in $TargetTenant) {
    if ($t -notmatch $GuidPattern) {
        Write-Warn "Skipping target tenant '$t': not a tenant id (GUID)."
        continue
    }
    $foundTarget = $true
    Write-Info "  ${t}: $authority/$t/adminconsent?client_id=$ClientId"
}
if (-not $foundTarget) {
    Write-Info "  $authority/<target-tenant-id>/adminconsent?client_id=$ClientId"
    Write-Info '  (set PROVISIONER_TARGET_TENANTS, e.g. azd env set PROVISIONER_TARGET_TENANTS <id>,<id>, to list them here)'
}
