import {
  CLOUDS,
  CLOUD_NAMES,
  CONFIGMGR_CLOUD_NAMES,
  cloudForKeyVaultHost,
  getCloud,
} from '../../../src/shared/domain/clouds';
import { UnknownCloudError } from '../../../src/shared/domain/errors';

describe('cloud table', () => {
  it.each([
    [
      'AzurePublicCloud',
      'https://graph.microsoft.com',
      'https://login.microsoftonline.com',
      'https://vault.azure.net',
      'vault.azure.net',
      'AzurePublicCloud',
      true,
      'public',
    ],
    [
      'AzureUSGovernmentCloud',
      'https://graph.microsoft.us',
      'https://login.microsoftonline.us',
      'https://vault.usgovcloudapi.net',
      'vault.usgovcloudapi.net',
      'AzureUSGovernmentCloud',
      true,
      'private',
    ],
    [
      'AzureUSGovernmentDoD',
      'https://dod-graph.microsoft.us',
      'https://login.microsoftonline.us',
      'https://vault.usgovcloudapi.net',
      'vault.usgovcloudapi.net',
      undefined,
      false,
      'private',
    ],
    [
      'AzureChinaCloud',
      'https://microsoftgraph.chinacloudapi.cn',
      'https://login.chinacloudapi.cn',
      'https://vault.azure.cn',
      'vault.azure.cn',
      undefined,
      false,
      'private',
    ],
  ])(
    '%s: Graph %s, authority %s, Key Vault %s',
    (name, graph, authority, kvResource, kvSuffix, cmEnv, supported, category) => {
      const c = getCloud(name);
      expect(c.name).toBe(name);
      expect(c.graphEndpoint).toBe(graph);
      expect(c.graphScope).toBe(`${graph}/.default`);
      expect(c.authorityHost).toBe(authority);
      expect(c.keyVaultResource).toBe(kvResource);
      expect(c.keyVaultDnsSuffix).toBe(kvSuffix);
      expect(c.configMgrEnvironment).toBe(cmEnv);
      expect(c.supportedByConfigMgr).toBe(supported);
      expect(c.category).toBe(category);
    },
  );

  it('has exactly the four clouds', () => {
    expect([...CLOUD_NAMES].sort()).toEqual(
      ['AzureChinaCloud', 'AzurePublicCloud', 'AzureUSGovernmentCloud', 'AzureUSGovernmentDoD'].sort(),
    );
  });

  it("the clouds a request may name are exactly the wizard's Azure environments (seed 001)", () => {
    expect(CONFIGMGR_CLOUD_NAMES).toEqual(['AzurePublicCloud', 'AzureUSGovernmentCloud']);
    expect(CLOUD_NAMES.filter((n) => CLOUDS[n].supportedByConfigMgr)).toEqual([...CONFIGMGR_CLOUD_NAMES]);
  });

  it('names the Az PowerShell environment of each cloud', () => {
    expect(CLOUD_NAMES.map((n) => CLOUDS[n].azPowerShellEnvironment)).toEqual([
      'AzureCloud',
      'AzureUSGovernment',
      'AzureUSGovernment',
      'AzureChinaCloud',
    ]);
  });

  it('rejects an unknown name with a typed 400 error listing the known clouds', () => {
    expect(() => getCloud('AzureGermanCloud')).toThrow(UnknownCloudError);
    try {
      getCloud('azurepubliccloud');
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownCloudError);
      expect((e as UnknownCloudError).status).toBe(400);
      expect((e as UnknownCloudError).code).toBe('UNKNOWN_CLOUD');
      expect((e as UnknownCloudError).message).toContain('AzurePublicCloud');
    }
    expect.assertions(5);
  });

  it('finds the cloud of a Key Vault host', () => {
    expect(cloudForKeyVaultHost('kv1.vault.azure.net')?.name).toBe('AzurePublicCloud');
    expect(cloudForKeyVaultHost('KV1.VAULT.USGOVCLOUDAPI.NET')?.name).toBe('AzureUSGovernmentCloud');
    expect(cloudForKeyVaultHost('kv1.vault.azure.cn')?.name).toBe('AzureChinaCloud');
    expect(cloudForKeyVaultHost('kv1.vault.azure.net.evil.com')).toBeUndefined();
    expect(cloudForKeyVaultHost('vault.azure.net')).toBeUndefined();
  });
});
