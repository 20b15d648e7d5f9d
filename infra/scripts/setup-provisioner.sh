#!/usr/bin/env bash
# Creates (or brings up to date) the multi-tenant "provisioner" app registration that cm-entra-provisioner uses to
# call Microsoft Graph in each target tenant, with no secret anywhere:
#   1. the app registration (multi-tenant) with the Microsoft Graph application permissions below, and its
#      service principal in the home tenant;
#   2. a federated identity credential that trusts the Function App's user-assigned managed identity: the app gets
#      a managed-identity token for audience api://AzureADTokenExchange and presents it as the client assertion;
#   3. admin consent for those permissions in the home tenant (app role assignments on Microsoft Graph);
#   4. PROVISIONER_CLIENT_ID in the azd environment and in the Function App's app settings;
#   5. the admin-consent URL for every further target tenant.
# It is idempotent: run it again at any time. `azd up` runs it as the postprovision hook (azure.yaml), with the
# Bicep outputs in the environment; it also runs on its own (see --help). PowerShell twin: setup-provisioner.ps1.
#
# Needs: Azure CLI (az), signed in to the home tenant as a user who may create app registrations; granting the
# Graph application permissions needs Privileged Role Administrator (or Global Administrator) in that tenant.
set -euo pipefail

# Microsoft Graph's appId, the same in every tenant and cloud.
GRAPH_APP_ID='00000003-0000-0000-c000-000000000000'
# Microsoft Graph application permissions (app roles) of the provisioner: name|id|why. Keep SECURITY.md and
# docs/deploy.md in step (test/unit/infra/scripts.test.ts compares them).
PERMISSIONS=(
  'Application.ReadWrite.OwnedBy|18a4783c-866b-4cc7-a460-3d5e5662c884|create the CMG server and client app registrations, and change only the apps it created (it owns them)'
  'AppRoleAssignment.ReadWrite.All|06b708a9-e830-4db3-a914-8e69da51d44f|grant admin consent for the application permission the server app needs (Microsoft Graph Directory.Read.All)'
  'DelegatedPermissionGrant.ReadWrite.All|8e8e4742-1d95-4f68-9d56-6ee75648c72a|grant tenant-wide consent for the delegated permissions the apps need (User.Read, the server app scope)'
  'Organization.Read.All|498476ce-e0fe-48b0-b801-37ba7e2685c6|read the verified domains of a target tenant (GET /organization) to check that an https:// App ID URI is on one of them'
)
FIC_NAME='function-app-managed-identity'

usage() {
  cat <<'USAGE'
Usage: setup-provisioner.sh [options]

Options (each defaults to the environment variable in brackets, which `azd` provides in its hooks):
  --tenant ID              home tenant of the app registration            [AZURE_TENANT_ID, else the signed-in tenant]
  --principal-id ID        object id of the Function App's managed identity  [MANAGED_IDENTITY_PRINCIPAL_ID]
  --client-id ID           an existing provisioner app to update             [PROVISIONER_CLIENT_ID]
  --display-name NAME      display name when creating the app   [PROVISIONER_APP_DISPLAY_NAME, else cm-entra-provisioner-<env>]
  --target-tenant ID       a further tenant to print the admin-consent URL for (repeatable)
                                                                     [PROVISIONER_TARGET_TENANTS, comma separated]
  --function-app NAME      Function App whose PROVISIONER_CLIENT_ID to set   [AZURE_FUNCTION_APP_NAME]
  --resource-group NAME    its resource group                                [AZURE_RESOURCE_GROUP]
  --service-uri URL        the Function App's https:// base URL (admin-consent reply URL)  [SERVICE_API_URI]
  --skip-admin-consent     do not grant the permissions; print the consent URL instead
                                                                     [PROVISIONER_SKIP_ADMIN_CONSENT=true]
  -h, --help               this help
USAGE
}

# Messages go to stderr, so that $(...) captures only command output.
info() { printf '[provisioner] %s\n' "$*" >&2; }
warn() { printf '[provisioner] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[provisioner] ERROR: %s\n' "$*" >&2
  exit 1
}
is_guid() { [[ "$1" =~ ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$ ]]; }
lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

# Directory writes replicate for a few seconds: retry a command until it succeeds (6 tries, 10 s apart).
retry() {
  local attempt=1
  until "$@"; do
    if [ "$attempt" -ge 6 ]; then return 1; fi
    info "waiting for directory replication (attempt $attempt of 6)..."
    sleep 10
    attempt=$((attempt + 1))
  done
}

TENANT_ID="${AZURE_TENANT_ID:-}"
PRINCIPAL_ID="${MANAGED_IDENTITY_PRINCIPAL_ID:-}"
CLIENT_ID="${PROVISIONER_CLIENT_ID:-}"
DISPLAY_NAME="${PROVISIONER_APP_DISPLAY_NAME:-cm-entra-provisioner-${AZURE_ENV_NAME:-default}}"
TARGET_TENANTS="${PROVISIONER_TARGET_TENANTS:-}"
FUNCTION_APP="${AZURE_FUNCTION_APP_NAME:-}"
RESOURCE_GROUP="${AZURE_RESOURCE_GROUP:-}"
SERVICE_URI="${SERVICE_API_URI:-}"
SKIP_CONSENT="${PROVISIONER_SKIP_ADMIN_CONSENT:-false}"

while [ $# -gt 0 ]; do
  case "$1" in
    --tenant) TENANT_ID="${2:?--tenant needs a value}"; shift 2 ;;
    --principal-id) PRINCIPAL_ID="${2:?--principal-id needs a value}"; shift 2 ;;
    --client-id) CLIENT_ID="${2:?--client-id needs a value}"; shift 2 ;;
    --display-name) DISPLAY_NAME="${2:?--display-name needs a value}"; shift 2 ;;
    --target-tenant) TARGET_TENANTS="${TARGET_TENANTS:+$TARGET_TENANTS,}${2:?--target-tenant needs a value}"; shift 2 ;;
    --function-app) FUNCTION_APP="${2:?--function-app needs a value}"; shift 2 ;;
    --resource-group) RESOURCE_GROUP="${2:?--resource-group needs a value}"; shift 2 ;;
    --service-uri) SERVICE_URI="${2:?--service-uri needs a value}"; shift 2 ;;
    --skip-admin-consent) SKIP_CONSENT=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

command -v az >/dev/null 2>&1 || die 'the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli'
SIGNED_IN_TENANT="$(az account show --query tenantId -o tsv 2>/dev/null || true)"
[ -n "$SIGNED_IN_TENANT" ] || die 'not signed in to the Azure CLI: run: az login --tenant <home tenant id> (azd and az keep separate sign-ins)'
TENANT_ID="${TENANT_ID:-$SIGNED_IN_TENANT}"
is_guid "$TENANT_ID" || die "the home tenant id is not a GUID: '$TENANT_ID'"
if [ "$(lower "$SIGNED_IN_TENANT")" != "$(lower "$TENANT_ID")" ]; then
  die "az is signed in to tenant $SIGNED_IN_TENANT, but the app belongs in $TENANT_ID: run \`az login --tenant $TENANT_ID\`"
fi

# Endpoints of the cloud az is set to (public, US Government, China).
AUTHORITY="$(az cloud show --query endpoints.activeDirectory -o tsv)"
AUTHORITY="${AUTHORITY%/}"
GRAPH_URL="$(az cloud show --query endpoints.microsoftGraphResourceId -o tsv)"
GRAPH_URL="${GRAPH_URL%/}"
case "$(az cloud show --query name -o tsv)" in
  AzureUSGovernment) DEFAULT_AUDIENCE='api://AzureADTokenExchangeUSGov' ;;
  AzureChinaCloud) DEFAULT_AUDIENCE='api://AzureADTokenExchangeChina' ;;
  *) DEFAULT_AUDIENCE='api://AzureADTokenExchange' ;;
esac
AUDIENCE="${PROVISIONER_FIC_AUDIENCE:-$DEFAULT_AUDIENCE}"

# 1. The app registration.
if [ -n "$CLIENT_ID" ]; then
  is_guid "$CLIENT_ID" || die "PROVISIONER_CLIENT_ID is not a GUID: '$CLIENT_ID'"
  APP_OBJECT_ID="$(az ad app show --id "$CLIENT_ID" --query id -o tsv 2>/dev/null || true)"
  [ -n "$APP_OBJECT_ID" ] || die "no app registration with client id $CLIENT_ID in tenant $TENANT_ID (unset PROVISIONER_CLIENT_ID to create one)"
  info "using app registration $CLIENT_ID"
else
  matches="$(az ad app list --display-name "$DISPLAY_NAME" --query 'length(@)' -o tsv)"
  matches="${matches:-0}"
  if [ "$matches" -gt 1 ]; then
    die "$matches app registrations are named '$DISPLAY_NAME': pass the right one with --client-id (or PROVISIONER_CLIENT_ID)"
  elif [ "$matches" -eq 1 ]; then
    CLIENT_ID="$(az ad app list --display-name "$DISPLAY_NAME" --query '[0].appId' -o tsv)"
    info "found app registration '$DISPLAY_NAME' ($CLIENT_ID)"
  else
    CLIENT_ID="$(az ad app create --display-name "$DISPLAY_NAME" --sign-in-audience AzureADMultipleOrgs --query appId -o tsv)"
    info "created app registration '$DISPLAY_NAME' ($CLIENT_ID)"
  fi
  APP_OBJECT_ID="$(retry az ad app show --id "$CLIENT_ID" --query id -o tsv)"
fi

# Multi-tenant, and exactly the Graph application permissions above (anything else requested is removed).
RRA_FILE="$(mktemp)"
trap 'rm -f "$RRA_FILE"' EXIT
{
  printf '[{"resourceAppId":"%s","resourceAccess":[' "$GRAPH_APP_ID"
  sep=''
  for entry in "${PERMISSIONS[@]}"; do
    IFS='|' read -r _name id _why <<<"$entry"
    printf '%s{"id":"%s","type":"Role"}' "$sep" "$id"
    sep=','
  done
  printf ']}]'
} >"$RRA_FILE"
update_args=(--id "$APP_OBJECT_ID" --sign-in-audience AzureADMultipleOrgs --required-resource-accesses "@$RRA_FILE")
# Where an administrator's browser lands after admin consent: the Function App's anonymous health endpoint. The app
# never signs anyone in (and has no secret to redeem a code with); without a reply URL the consent page refuses.
if [ -n "$SERVICE_URI" ]; then update_args+=(--web-redirect-uris "${SERVICE_URI%/}/api/health"); fi
retry az ad app update "${update_args[@]}"
info 'requested Microsoft Graph application permissions:'
for entry in "${PERMISSIONS[@]}"; do
  IFS='|' read -r name id why <<<"$entry"
  info "  $name ($id): $why"
done

# Its service principal in the home tenant (where consent is recorded).
SP_ID="$(az ad sp show --id "$CLIENT_ID" --query id -o tsv 2>/dev/null || true)"
if [ -z "$SP_ID" ]; then
  SP_ID="$(retry az ad sp create --id "$CLIENT_ID" --query id -o tsv)"
  info "created its service principal ($SP_ID)"
fi

# 2. Trust the managed identity: a federated identity credential, never a client secret or certificate.
if [ -z "$PRINCIPAL_ID" ]; then
  warn 'no managed identity principal id (MANAGED_IDENTITY_PRINCIPAL_ID or --principal-id): the federated credential was not set; run azd provision first'
else
  is_guid "$PRINCIPAL_ID" || die "the managed identity principal id is not a GUID: '$PRINCIPAL_ID'"
  ISSUER="$AUTHORITY/$TENANT_ID/v2.0"
  FIC_JSON="$(printf '{"name":"%s","issuer":"%s","subject":"%s","audiences":["%s"],"description":"%s"}' \
    "$FIC_NAME" "$ISSUER" "$PRINCIPAL_ID" "$AUDIENCE" 'The cm-entra-provisioner Function App managed identity')"
  current="$(az ad app federated-credential list --id "$APP_OBJECT_ID" \
    --query "[?name=='$FIC_NAME'] | [0].[id, issuer, subject, audiences[0]]" -o tsv | tr '\t' ' ')"
  if [ -z "$current" ]; then
    retry az ad app federated-credential create --id "$APP_OBJECT_ID" --parameters "$FIC_JSON" --output none
    info "federated credential '$FIC_NAME': trusts managed identity $PRINCIPAL_ID (issuer $ISSUER, audience $AUDIENCE)"
  else
    read -r fic_id fic_issuer fic_subject fic_audience <<<"$current"
    if [ "$fic_issuer" != "$ISSUER" ] || [ "$(lower "$fic_subject")" != "$(lower "$PRINCIPAL_ID")" ] || [ "$fic_audience" != "$AUDIENCE" ]; then
      az ad app federated-credential update --id "$APP_OBJECT_ID" --federated-credential-id "$fic_id" --parameters "$FIC_JSON" --output none
      info "federated credential '$FIC_NAME' updated: now trusts managed identity $PRINCIPAL_ID"
    else
      info "federated credential '$FIC_NAME' already trusts managed identity $PRINCIPAL_ID"
    fi
  fi
fi

# 3. Admin consent in the home tenant: one app role assignment on Microsoft Graph per permission.
HOME_CONSENT_URL="$AUTHORITY/$TENANT_ID/adminconsent?client_id=$CLIENT_ID"
consent_ok=true
if [ "$SKIP_CONSENT" = true ]; then
  consent_ok=false
  warn 'admin consent skipped (PROVISIONER_SKIP_ADMIN_CONSENT): a Privileged Role Administrator must consent'
else
  GRAPH_SP_ID="$(az ad sp show --id "$GRAPH_APP_ID" --query id -o tsv)"
  granted="$(retry az rest --method GET --url "$GRAPH_URL/v1.0/servicePrincipals/$SP_ID/appRoleAssignments" \
    --query "value[?resourceId=='$GRAPH_SP_ID'].appRoleId" -o tsv)"
  for entry in "${PERMISSIONS[@]}"; do
    IFS='|' read -r name id _why <<<"$entry"
    if printf '%s\n' "$granted" | grep -qi "^$id$"; then
      info "  consent already granted: $name"
      continue
    fi
    body="$(printf '{"principalId":"%s","resourceId":"%s","appRoleId":"%s"}' "$SP_ID" "$GRAPH_SP_ID" "$id")"
    if retry az rest --method POST --url "$GRAPH_URL/v1.0/servicePrincipals/$GRAPH_SP_ID/appRoleAssignedTo" \
      --headers 'Content-Type=application/json' --body "$body" --output none; then
      info "  consent granted: $name"
    else
      consent_ok=false
      warn "could not grant $name (granting Microsoft Graph application permissions needs Privileged Role Administrator or Global Administrator)"
    fi
  done
fi
if [ "$consent_ok" != true ]; then
  warn "ask an administrator of tenant $TENANT_ID to open: $HOME_CONSENT_URL"
fi

# 4. Record the client id: in the azd environment (the next `azd provision` sets the app setting from it) and,
#    right away, in the Function App.
if [ -n "${AZURE_ENV_NAME:-}" ] && command -v azd >/dev/null 2>&1; then
  azd env set PROVISIONER_CLIENT_ID "$CLIENT_ID"
  info "azd environment '$AZURE_ENV_NAME': PROVISIONER_CLIENT_ID=$CLIENT_ID"
fi
if [ -n "$FUNCTION_APP" ] && [ -n "$RESOURCE_GROUP" ]; then
  current_setting="$(az functionapp config appsettings list --name "$FUNCTION_APP" --resource-group "$RESOURCE_GROUP" \
    --query "[?name=='PROVISIONER_CLIENT_ID'].value | [0]" -o tsv)"
  if [ "$current_setting" != "$CLIENT_ID" ]; then
    az functionapp config appsettings set --name "$FUNCTION_APP" --resource-group "$RESOURCE_GROUP" \
      --settings "PROVISIONER_CLIENT_ID=$CLIENT_ID" --output none
    info "Function App $FUNCTION_APP: PROVISIONER_CLIENT_ID set"
  fi
fi

# 5. Further target tenants: an administrator of each opens its URL and consents.
info ''
info "provisioner app: $CLIENT_ID (home tenant $TENANT_ID)"
info 'admin-consent URL for each further target tenant (a Privileged Role Administrator or Global Administrator of that tenant opens it):'
found_target=false
for tenant in $(printf '%s' "$TARGET_TENANTS" | tr ',;' '  '); do
  if ! is_guid "$tenant"; then
    warn "skipping target tenant '$tenant': not a tenant id (GUID)"
    continue
  fi
  found_target=true
  info "  $tenant: $AUTHORITY/$tenant/adminconsent?client_id=$CLIENT_ID"
done
if [ "$found_target" != true ]; then
  info "  $AUTHORITY/<target-tenant-id>/adminconsent?client_id=$CLIENT_ID"
  info '  (set PROVISIONER_TARGET_TENANTS, e.g. azd env set PROVISIONER_TARGET_TENANTS <id>,<id>, to list them here)'
fi
