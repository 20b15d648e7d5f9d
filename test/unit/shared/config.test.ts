import { ConfigError, loadConfig, SETTING_NAMES, SETTINGS } from '../../../src/shared/config';

const CS = 'UseDevelopmentStorage=true';
const BASE = {
  AzureWebJobsStorage: CS,
  KEY_VAULT_URL: 'https://kv-prov.vault.azure.net/',
  PROVISIONER_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  PROVISIONER_TENANT_ID: '22222222-2222-2222-2222-222222222222',
  MANAGED_IDENTITY_CLIENT_ID: '33333333-3333-3333-3333-333333333333',
};

function settingOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return (err as ConfigError).setting;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('parses a complete production configuration with its defaults', () => {
    const c = loadConfig(BASE);
    expect(c.storage).toEqual({ kind: 'connectionString', connectionString: CS });
    expect(c.keyVaultUrl).toBe('https://kv-prov.vault.azure.net');
    expect(c.provisioner).toEqual({
      clientId: BASE.PROVISIONER_CLIENT_ID,
      tenantId: BASE.PROVISIONER_TENANT_ID,
      credential: { kind: 'managedIdentityFederation', managedIdentityClientId: BASE.MANAGED_IDENTITY_CLIENT_ID },
    });
    expect(c.graphEndpoint).toBeUndefined();
    expect(c.authorityHost).toBeUndefined();
    expect(c.graphRetryMaxMs).toBe(120_000);
    expect(c.callbackSigningSecretName).toBe('callback-signing-key');
  });

  it('accepts the local stack’s overrides and a client secret credential', () => {
    const c = loadConfig({
      ...BASE,
      MANAGED_IDENTITY_CLIENT_ID: '',
      PROVISIONER_CREDENTIAL: 'clientSecret',
      PROVISIONER_CLIENT_SECRET: 'local-emulator-secret',
      GRAPH_ENDPOINT: 'https://127.0.0.1:7444/',
      AZURE_AUTHORITY_HOST: 'https://127.0.0.1:7443',
    });
    expect(c.graphEndpoint).toBe('https://127.0.0.1:7444');
    expect(c.authorityHost).toBe('https://127.0.0.1:7443');
    expect(c.provisioner.credential).toEqual({ kind: 'clientSecret', clientSecret: 'local-emulator-secret' });
  });

  it('derives identity-based storage endpoints from AzureWebJobsStorage__accountName', () => {
    const c = loadConfig({ ...BASE, AzureWebJobsStorage: undefined, AzureWebJobsStorage__accountName: 'stprov01' });
    expect(c.storage).toEqual({
      kind: 'identity',
      queueServiceUri: 'https://stprov01.queue.core.windows.net',
      tableServiceUri: 'https://stprov01.table.core.windows.net',
      clientId: undefined,
    });
  });

  it.each([
    ['AzureWebJobsStorage', { AzureWebJobsStorage: undefined }],
    ['KEY_VAULT_URL', { KEY_VAULT_URL: '' }],
    ['KEY_VAULT_URL', { KEY_VAULT_URL: 'not a url' }],
    ['PROVISIONER_CLIENT_ID', { PROVISIONER_CLIENT_ID: 'app' }],
    ['PROVISIONER_TENANT_ID', { PROVISIONER_TENANT_ID: undefined }],
    ['PROVISIONER_CREDENTIAL', { PROVISIONER_CREDENTIAL: 'password' }],
    ['PROVISIONER_CLIENT_SECRET', { PROVISIONER_CREDENTIAL: 'clientSecret' }],
    ['MANAGED_IDENTITY_CLIENT_ID', { MANAGED_IDENTITY_CLIENT_ID: undefined }],
    ['GRAPH_ENDPOINT', { GRAPH_ENDPOINT: 'http://graph.example.com' }],
    ['GRAPH_RETRY_MAX_SECONDS', { GRAPH_RETRY_MAX_SECONDS: '0' }],
    ['AzureWebJobsStorage__accountName', { AzureWebJobsStorage: undefined, AzureWebJobsStorage__accountName: 'Bad_1' }],
  ])('fails fast naming %s', (setting, patch) => {
    expect(settingOf(() => loadConfig({ ...BASE, ...patch }))).toBe(setting);
  });

  it('says a missing required setting is not set', () => {
    expect(() => loadConfig({ ...BASE, KEY_VAULT_URL: undefined })).toThrow(
      "Configuration setting 'KEY_VAULT_URL' is not set",
    );
  });

  it('documents every setting it reads', () => {
    expect(SETTINGS.map((s) => s.name).sort()).toEqual([...SETTING_NAMES].sort());
    expect(SETTINGS.filter((s) => s.required).map((s) => s.name)).toEqual([
      'KEY_VAULT_URL',
      'PROVISIONER_CLIENT_ID',
      'PROVISIONER_TENANT_ID',
    ]);
  });
});
