import { ConfigError, loadConfig } from '../../../src/shared/config';

const CS = 'UseDevelopmentStorage=true';

describe('configuration', () => {
  it('accepts a storage connection string and trims trailing slashes from endpoints', () => {
    const c = loadConfig({
      AzureWebJobsStorage: CS,
      GRAPH_ENDPOINT: 'https://127.0.0.1:7444/',
      KEY_VAULT_URL: 'https://myvault.vault.azure.net/',
    });
    expect(c.storage).toEqual({ kind: 'connectionString', connectionString: CS });
    expect(c.graphEndpoint).toBe('https://127.0.0.1:7444');
    expect(c.keyVaultUrl).toBe('https://myvault.vault.azure.net');
    expect(c.authorityHost).toBeUndefined();
  });

  it('derives identity-based storage endpoints from AzureWebJobsStorage__accountName', () => {
    const c = loadConfig({ AzureWebJobsStorage__accountName: 'stprov01' });
    expect(c.storage).toEqual({
      kind: 'identity',
      queueServiceUri: 'https://stprov01.queue.core.windows.net',
      tableServiceUri: 'https://stprov01.table.core.windows.net',
      clientId: undefined,
    });
  });

  it('fails fast naming a missing storage setting', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/'AzureWebJobsStorage'/);
  });

  it('fails fast naming an invalid setting', () => {
    expect(() => loadConfig({ AzureWebJobsStorage: CS, KEY_VAULT_URL: 'not a url' })).toThrow(/'KEY_VAULT_URL'/);
    expect(() => loadConfig({ AzureWebJobsStorage: CS, GRAPH_ENDPOINT: 'http://graph.example.com' })).toThrow(
      /'GRAPH_ENDPOINT' must be an https:\/\/ URL/,
    );
    try {
      loadConfig({ AzureWebJobsStorage__accountName: 'Not_Valid' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).setting).toBe('AzureWebJobsStorage__accountName');
      expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    }
  });

  it('treats empty settings as unset', () => {
    expect(loadConfig({ AzureWebJobsStorage: CS, KEY_VAULT_URL: '' }).keyVaultUrl).toBeUndefined();
  });
});
