/**
 * What Configuration Manager needs once the apps exist: the values of the Azure Services wizard's Import dialogs
 * (seeds 000/002), the ccmsetup.exe Entra properties (seed 003), and a ready PowerShell script that imports the
 * apps with the ConfigurationManager cmdlets, reading the secret from Key Vault as a SecureString (never embedded).
 */
import { CLOUDS, cloudForKeyVaultHost, type ConfigMgrAzureEnvironment } from './clouds';
import { DomainInvariantError } from './errors';
import { requireGuid } from './naming';
import { replaceLineBreakingCharacters, type RegistrationRequest } from './registrationRequest';
import { SERVICE_CATALOG, type ExtraRequirement } from './serviceCatalog';

/** A PowerShell single-quoted string literal. PowerShell also treats ‘ ’ ‚ ‛ as single quotes: all are doubled. */
export function psQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

export interface KeyVaultSecretRef {
  readonly id: string;
  readonly vaultName: string;
  readonly vaultHost: string;
  readonly secretName: string;
  readonly version: string;
}

/** The local stack's Key Vault emulator listens on loopback; its vault is called `local`. */
const LOOPBACK_VAULT =
  /^https:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?\/secrets\/([0-9A-Za-z-]{1,127})\/([0-9A-Za-z]{32})$/;

/**
 * Parses `https://{vault}.{key vault suffix}/secrets/{name}/{version}` (or the local stack's loopback vault);
 * throws on anything else.
 */
export function parseKeyVaultSecretId(id: string): KeyVaultSecretRef {
  const local = LOOPBACK_VAULT.exec(id);
  if (local) {
    return {
      id,
      vaultName: 'local',
      vaultHost: `${local[1]!}${local[2] ?? ''}`,
      secretName: local[3]!,
      version: local[4]!,
    };
  }
  const m = /^https:\/\/([0-9A-Za-z-]{3,24})\.([a-z0-9.-]+)\/secrets\/([0-9A-Za-z-]{1,127})\/([0-9A-Za-z]{32})$/.exec(
    id,
  );
  const host = m ? `${m[1]!}.${m[2]!}`.toLowerCase() : '';
  if (!m || cloudForKeyVaultHost(host) === undefined) {
    throw new DomainInvariantError(
      'INVALID_KEY_VAULT_SECRET_ID',
      `Not a versioned Key Vault secret id: '${id}' (expected https://{vault}.{vault suffix}/secrets/{name}/{version}).`,
    );
  }
  return { id, vaultName: m[1]!, vaultHost: host, secretName: m[3]!, version: m[4]! };
}

export interface HandoffInput {
  readonly request: RegistrationRequest;
  readonly serverAppId: string;
  readonly clientAppId?: string;
  /** passwordCredential.endDateTime as Graph returned it (ISO 8601). */
  readonly secretKeyExpiry: string;
  /** Versioned id of the Key Vault secret holding the server app's client secret. */
  readonly keyVaultSecretId: string;
  /** -Name of the Cloud Management Azure service in Configuration Manager; defaults to the tenant name. */
  readonly azureServiceName?: string;
}

export interface HandoffNote {
  readonly code: string;
  readonly text: string;
}

export interface Handoff {
  readonly service: RegistrationRequest['service'];
  /** The wizard's "Azure environment" and the cmdlets' -AzureEnvironmentOption. */
  readonly azureEnvironment: ConfigMgrAzureEnvironment;
  /** Import apps dialog (server), field by field. */
  readonly serverApp: {
    readonly tenantName: string;
    readonly tenantId: string;
    readonly applicationName: string;
    readonly clientId: string;
    /** The secret key itself stays in Key Vault: this is where to read it. */
    readonly secretKeyLocation: KeyVaultSecretRef;
    readonly secretKeyExpiry: string;
    readonly appIdUri: string;
  };
  /** Import apps dialog (client); the tenant fields are filled from the server app. */
  readonly clientApp?: { readonly applicationName: string; readonly clientId: string };
  /** ccmsetup.exe properties for installing clients with Microsoft Entra ID (seed 003). */
  readonly ccmsetup?: {
    readonly AADTENANTID: string;
    readonly AADCLIENTAPPID: string;
    readonly AADRESOURCEURI: string;
    readonly properties: string;
  };
  readonly powershell: string;
  readonly notes: readonly HandoffNote[];
}

export const HANDOFF_NOTES = {
  IMPORTED_SECRET_NOT_NOTIFIED: {
    code: 'IMPORTED_SECRET_NOT_NOTIFIED',
    text:
      "Configuration Manager doesn't show console notifications before an imported app's secret key expires. " +
      'Before the expiry date, add a new secret to the web app and enter the new key and expiry in Administration > ' +
      'Cloud Services > Microsoft Entra tenants > Renew Secret Key.',
  },
  CONDITIONAL_ACCESS_EXCLUSION: {
    code: 'CONDITIONAL_ACCESS_EXCLUSION',
    text: 'If a Microsoft Entra Conditional Access policy applies to All cloud apps, exclude the server app from it.',
  },
  CCMSETUP_OPTIONAL_FOR_JOINED_DEVICES: {
    code: 'CCMSETUP_OPTIONAL_FOR_JOINED_DEVICES',
    text:
      'The site publishes its Microsoft Entra information to the CMG; a Microsoft Entra joined client gets it during ' +
      'ccmsetup, so the only required ccmsetup properties there are CCMHOSTNAME and SMSSITECODE. AADTENANTID, ' +
      'AADCLIENTAPPID and AADRESOURCEURI are for the general command line.',
  },
  RESOURCE_PROVIDERS: {
    code: 'CMG_RESOURCE_PROVIDERS',
    text:
      'The CMG (virtual machine scale set) needs the resource providers Microsoft.KeyVault, Microsoft.Storage, ' +
      'Microsoft.Network and Microsoft.Compute registered in its Azure subscription.',
  },
} as const satisfies Record<string, HandoffNote>;

function isoInstant(value: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new DomainInvariantError('INVALID_DATE', `Not a date: '${value}'.`);
  return new Date(t).toISOString();
}

/** The values, properties, script and notes to hand back when a request succeeds. */
export function buildHandoff(input: HandoffInput): Handoff {
  const { request } = input;
  const service = SERVICE_CATALOG[request.service];
  const cloud = CLOUDS[request.cloud];
  const azureEnvironment = cloud.configMgrEnvironment;
  if (azureEnvironment === undefined) {
    throw new DomainInvariantError(
      'CLOUD_NOT_SUPPORTED_BY_CONFIGMGR',
      `${cloud.name} has no Configuration Manager environment.`,
    );
  }
  const secretKeyLocation = parseKeyVaultSecretId(input.keyVaultSecretId);
  const serverApp = {
    tenantName: request.tenantName,
    tenantId: request.tenantId,
    applicationName: request.serverApp.displayName,
    clientId: requireGuid(input.serverAppId, 'serverAppId'),
    secretKeyLocation,
    secretKeyExpiry: isoInstant(input.secretKeyExpiry),
    appIdUri: request.serverApp.appIdUri,
  };
  let clientApp: Handoff['clientApp'];
  let ccmsetup: Handoff['ccmsetup'];
  if (service.nativeApp) {
    if (input.clientAppId === undefined || request.clientApp === undefined) {
      throw new DomainInvariantError('CLIENT_APP_MISSING', `${service.title} needs a client app to hand back.`);
    }
    clientApp = {
      applicationName: request.clientApp.displayName,
      clientId: requireGuid(input.clientAppId, 'clientAppId'),
    };
    const props = {
      AADTENANTID: request.tenantId,
      AADCLIENTAPPID: clientApp.clientId,
      AADRESOURCEURI: serverApp.appIdUri,
    };
    ccmsetup = {
      ...props,
      properties: `AADTENANTID=${props.AADTENANTID} AADCLIENTAPPID=${props.AADCLIENTAPPID} AADRESOURCEURI=${props.AADRESOURCEURI}`,
    };
  }
  const notes: HandoffNote[] = [HANDOFF_NOTES.IMPORTED_SECRET_NOT_NOTIFIED, HANDOFF_NOTES.CONDITIONAL_ACCESS_EXCLUSION];
  if (request.service === 'CloudManagement') {
    notes.push(HANDOFF_NOTES.CCMSETUP_OPTIONAL_FOR_JOINED_DEVICES, HANDOFF_NOTES.RESOURCE_PROVIDERS);
  }
  notes.push(...service.extraRequirements.map((r: ExtraRequirement) => ({ code: r.code, text: r.text })));
  return {
    service: request.service,
    azureEnvironment,
    serverApp,
    ...(clientApp === undefined ? {} : { clientApp }),
    ...(ccmsetup === undefined ? {} : { ccmsetup }),
    powershell: buildImportScript({
      request,
      azureEnvironment,
      serverApp,
      ...(clientApp === undefined ? {} : { clientApp }),
      azureServiceName: input.azureServiceName ?? request.tenantName,
    }),
    notes,
  };
}

interface ScriptInput {
  readonly request: RegistrationRequest;
  readonly azureEnvironment: ConfigMgrAzureEnvironment;
  readonly serverApp: Handoff['serverApp'];
  readonly clientApp?: NonNullable<Handoff['clientApp']>;
  readonly azureServiceName: string;
}

/** The PowerShell that imports the apps into Configuration Manager (and, for CMG, creates the Azure service). */
export function buildImportScript(s: ScriptInput): string {
  const vaultCloud = cloudForKeyVaultHost(s.serverApp.secretKeyLocation.vaultHost);
  const q = psQuote;
  // A comment ends at a line break: keep the ticket id on its line whatever it contains.
  const ticket = replaceLineBreakingCharacters(s.request.ticketId);
  const lines = [
    `# Generated by cm-entra-provisioner for ticket ${q(ticket)}.`,
    '# Run in a PowerShell session with the ConfigurationManager module loaded, from the site drive (e.g. PS XYZ:\\>),',
    '# as an account that can read the Key Vault secret. The client secret is read as a SecureString and never printed.',
    '#Requires -Modules Az.Accounts, Az.KeyVault',
    "$ErrorActionPreference = 'Stop'",
    "if (-not (Get-Command -Name 'Import-CMAADServerApplication' -ErrorAction SilentlyContinue)) {",
    "    throw 'Load the ConfigurationManager module and change to the site drive (Set-Location XYZ:) first.'",
    '}',
    `if (-not (Get-AzContext)) { Connect-AzAccount -Environment ${q(vaultCloud?.azPowerShellEnvironment ?? 'AzureCloud')} | Out-Null }`,
    `$secretKey = (Get-AzKeyVaultSecret -VaultName ${q(s.serverApp.secretKeyLocation.vaultName)} -Name ${q(s.serverApp.secretKeyLocation.secretName)} -Version ${q(s.serverApp.secretKeyLocation.version)}).SecretValue`,
    `$secretKeyExpiry = [datetime]::Parse(${q(s.serverApp.secretKeyExpiry)}, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind)`,
    [
      '$serverApp = Import-CMAADServerApplication',
      `-TenantName ${q(s.serverApp.tenantName)}`,
      `-TenantId ${q(s.serverApp.tenantId)}`,
      `-AppName ${q(s.serverApp.applicationName)}`,
      `-ClientId ${q(s.serverApp.clientId)}`,
      '-SecretKey $secretKey',
      '-SecretKeyExpiry $secretKeyExpiry',
      `-AppIdUri ${q(s.serverApp.appIdUri)}`,
      `-AzureEnvironmentOption ${s.azureEnvironment}`,
    ].join(' '),
  ];
  if (s.clientApp !== undefined) {
    lines.push(
      `$clientApp = Import-CMAADClientApplication -AppName ${q(s.clientApp.applicationName)} -ClientId ${q(s.clientApp.clientId)} -ServerApp $serverApp`,
    );
  }
  if (s.request.service === 'CloudManagement' && s.clientApp !== undefined) {
    lines.push(
      [
        'New-CMCloudManagementAzureService',
        `-Name ${q(s.azureServiceName)}`,
        '-ServerApp $serverApp',
        '-ClientApp $clientApp',
        `-AzureEnvironmentOption ${s.azureEnvironment}`,
        ...(s.request.serverApp.userDiscovery ? ['-EnableUserDiscovery $true'] : []),
      ].join(' '),
    );
  } else {
    lines.push(
      `# Finish the ${SERVICE_CATALOG[s.request.service].title} connection in the Azure Services wizard with the imported app.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
