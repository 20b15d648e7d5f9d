/**
 * The sovereign-cloud table: where Microsoft Graph, the Entra authority and Key Vault live in each cloud, and
 * whether Configuration Manager's Azure Services wizard offers the cloud at all.
 *
 * Sources: REFERENCE.md §2 (Graph and login hosts); seed 001 (the wizard's "Azure environment" list is exactly
 * AzurePublicCloud and AzureUSGovernmentCloud, which are also the only accepted values of the cmdlets'
 * -AzureEnvironmentOption); seed 002 ("private clouds, such as the Azure US Government cloud").
 */
import { UnknownCloudError } from './errors';

export const CLOUD_NAMES = [
  'AzurePublicCloud',
  'AzureUSGovernmentCloud',
  'AzureUSGovernmentDoD',
  'AzureChinaCloud',
] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

/** The seed 002 service table speaks of "Public" and "Private" clouds. */
export type CloudCategory = 'public' | 'private';

/** Values of Configuration Manager's `AzureEnvironment` enum (-AzureEnvironmentOption). */
export type ConfigMgrAzureEnvironment = 'AzurePublicCloud' | 'AzureUSGovernmentCloud';

/** Az PowerShell environment names (Connect-AzAccount -Environment). */
export type AzPowerShellEnvironment = 'AzureCloud' | 'AzureUSGovernment' | 'AzureChinaCloud';

export interface Cloud {
  readonly name: CloudName;
  readonly description: string;
  readonly category: CloudCategory;
  /** Graph service root host, no trailing slash and no version segment. */
  readonly graphEndpoint: string;
  /** Token scope for application tokens: the cloud's own Graph host plus `/.default`. */
  readonly graphScope: string;
  /** Entra authority host (`authorityHost` of @azure/identity). */
  readonly authorityHost: string;
  /** Key Vault audience (`resource` in the Key Vault challenge). */
  readonly keyVaultResource: string;
  /** DNS suffix of vault hosts: `{vault}.{suffix}`. */
  readonly keyVaultDnsSuffix: string;
  readonly azPowerShellEnvironment: AzPowerShellEnvironment;
  /** Configuration Manager's -AzureEnvironmentOption value; absent where Configuration Manager has none. */
  readonly configMgrEnvironment?: ConfigMgrAzureEnvironment;
  /** Whether Configuration Manager supports this cloud for the cloud management gateway (seeds 001/002). */
  readonly supportedByConfigMgr: boolean;
}

function cloud(c: Omit<Cloud, 'graphScope'>): Cloud {
  return Object.freeze({ ...c, graphScope: `${c.graphEndpoint}/.default` });
}

export const CLOUDS: Readonly<Record<CloudName, Cloud>> = Object.freeze({
  AzurePublicCloud: cloud({
    name: 'AzurePublicCloud',
    description: 'Global Azure cloud',
    category: 'public',
    graphEndpoint: 'https://graph.microsoft.com',
    authorityHost: 'https://login.microsoftonline.com',
    keyVaultResource: 'https://vault.azure.net',
    keyVaultDnsSuffix: 'vault.azure.net',
    azPowerShellEnvironment: 'AzureCloud',
    configMgrEnvironment: 'AzurePublicCloud',
    supportedByConfigMgr: true,
  }),
  AzureUSGovernmentCloud: cloud({
    name: 'AzureUSGovernmentCloud',
    description: 'Azure US Government (L4)',
    category: 'private',
    graphEndpoint: 'https://graph.microsoft.us',
    authorityHost: 'https://login.microsoftonline.us',
    keyVaultResource: 'https://vault.usgovcloudapi.net',
    keyVaultDnsSuffix: 'vault.usgovcloudapi.net',
    azPowerShellEnvironment: 'AzureUSGovernment',
    configMgrEnvironment: 'AzureUSGovernmentCloud',
    supportedByConfigMgr: true,
  }),
  AzureUSGovernmentDoD: cloud({
    name: 'AzureUSGovernmentDoD',
    description: 'Azure US Government DoD (L5)',
    category: 'private',
    graphEndpoint: 'https://dod-graph.microsoft.us',
    authorityHost: 'https://login.microsoftonline.us',
    keyVaultResource: 'https://vault.usgovcloudapi.net',
    keyVaultDnsSuffix: 'vault.usgovcloudapi.net',
    azPowerShellEnvironment: 'AzureUSGovernment',
    supportedByConfigMgr: false,
  }),
  AzureChinaCloud: cloud({
    name: 'AzureChinaCloud',
    description: 'Azure China (operated by 21Vianet)',
    category: 'private',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    keyVaultResource: 'https://vault.azure.cn',
    keyVaultDnsSuffix: 'vault.azure.cn',
    azPowerShellEnvironment: 'AzureChinaCloud',
    supportedByConfigMgr: false,
  }),
});

/** The clouds a registration request may name: those Configuration Manager offers (seed 001). */
export const CONFIGMGR_CLOUD_NAMES = [
  'AzurePublicCloud',
  'AzureUSGovernmentCloud',
] as const satisfies readonly CloudName[];
export type ConfigMgrCloudName = (typeof CONFIGMGR_CLOUD_NAMES)[number];

export function isCloudName(name: string): name is CloudName {
  return (CLOUD_NAMES as readonly string[]).includes(name);
}

/** Looks a cloud up by its exact name; throws UnknownCloudError (400) otherwise. */
export function getCloud(name: string): Cloud {
  if (!isCloudName(name)) throw new UnknownCloudError(name, CLOUD_NAMES);
  return CLOUDS[name];
}

/** The cloud whose Key Vault DNS suffix matches a vault host (`{vault}.{suffix}`), if any. First match wins. */
export function cloudForKeyVaultHost(host: string): Cloud | undefined {
  const h = host.toLowerCase();
  return CLOUD_NAMES.map((n) => CLOUDS[n]).find((c) => h.endsWith(`.${c.keyVaultDnsSuffix}`));
}
