/**
 * The contract between the app's settings (src/shared/config: SETTINGS documents them, SETTING_NAMES is what the
 * schema reads) and the app settings infra/ sets on the Function App:
 *   - every setting the app reads is set by infra/, or may stay unset (not required, and a documented default or a
 *     local-only setting);
 *   - every app setting infra/ sets is read by the app, or is a documented Functions-host/runtime setting.
 * Both lists are read dynamically, so a setting added to the config later is held to the same contract.
 */
import { loadConfig, SETTING_NAMES, SETTINGS } from '../../../src/shared/config';
import { objectEntries, readBicep, stringLiteral, valueAt } from './bicep';

/**
 * Settings only the local stack sets; in Azure they stay unset on purpose. (SettingDoc has no machine-readable
 * "local only" flag yet; until it has one, this list is the record. Keep it to settings SETTINGS describes as local.)
 */
const LOCAL_ONLY: Record<string, string> = {
  AzureWebJobsStorage:
    'a storage connection string (Azurite); Azure uses the identity-based AzureWebJobsStorage__* settings',
  PROVISIONER_CLIENT_SECRET:
    'the emulated tenant’s client secret (PROVISIONER_CREDENTIAL=clientSecret); Azure uses federation',
  GRAPH_ENDPOINT: 'points Microsoft Graph at the local emulator; Azure uses the cloud table’s endpoint',
  AZURE_AUTHORITY_HOST: 'points the Entra authority at the local emulator; Azure uses the cloud table’s authority',
};

/** App settings the Functions host and its runtime read (not src/shared/config), and why infra/ sets them. */
const RUNTIME_OWNED: Record<string, string> = {
  AzureWebJobsStorage__blobServiceUri:
    'host storage (locks, keys) over an identity-based connection; the app itself uses queues and tables only',
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'where the host sends telemetry (names the component; local auth is disabled on it, so it grants nothing)',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'makes the host send telemetry with the managed identity (Entra auth)',
};

/**
 * Stand-ins for the values infra/ computes at deployment (a Bicep expression is not a value). Literal values in
 * the template are used as they are. A new app setting computed by the template needs a stand-in here.
 */
const DEPLOYED_VALUES: Record<string, string> = {
  AzureWebJobsStorage__accountName: 'stcontract01',
  AzureWebJobsStorage__blobServiceUri: 'https://stcontract01.blob.core.windows.net/',
  AzureWebJobsStorage__queueServiceUri: 'https://stcontract01.queue.core.windows.net/',
  AzureWebJobsStorage__tableServiceUri: 'https://stcontract01.table.core.windows.net/',
  AzureWebJobsStorage__clientId: '11111111-1111-4111-8111-111111111111',
  MANAGED_IDENTITY_CLIENT_ID: '11111111-1111-4111-8111-111111111111',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'placeholder (not read by the app)',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'placeholder (not read by the app)',
  KEY_VAULT_URL: 'https://kv-contract.vault.azure.net/',
  PROVISIONER_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
  PROVISIONER_TENANT_ID: '33333333-3333-4333-8333-333333333333',
  PUBLIC_API_BASE_URL: 'https://func-contract.azurewebsites.net/api',
  API_AUDIENCE: 'api://44444444-4444-4444-8444-444444444444,44444444-4444-4444-8444-444444444444',
  ALLOWED_TENANT_IDS: '33333333-3333-4333-8333-333333333333',
};

function infraAppSettings(): Map<string, string> {
  const fnApp = readBicep('infra/modules/function-app.bicep');
  const config = fnApp.resources.filter(
    (r) => r.target === 'Microsoft.Web/sites/config' && stringLiteral(valueAt(r.body, 'name')) === 'appsettings',
  );
  expect(config).toHaveLength(1);
  return new Map(objectEntries(valueAt(config[0]!.body, 'properties')!).map((e) => [e.key, e.value]));
}

const infra = infraAppSettings();
const docs = new Map(SETTINGS.map((s) => [s.name, s]));
const readByApp = new Set(SETTING_NAMES);

describe('config contract: src/shared/config and infra/', () => {
  it('reads the lists it checks', () => {
    expect(SETTING_NAMES.length).toBeGreaterThan(0);
    expect(infra.size).toBeGreaterThan(0);
  });

  it('has a SettingDoc for every setting the app reads (so it can tell required, default and local-only apart)', () => {
    const undocumented = SETTING_NAMES.filter((name) => !docs.has(name));
    expect(undocumented).toEqual([]);
  });

  it('sets every required setting in Azure', () => {
    const missing = SETTINGS.filter((s) => s.required && !infra.has(s.name)).map((s) => s.name);
    expect(missing).toEqual([]);
  });

  it('sets every setting the app reads, unless it may stay unset (a documented default, or local-only)', () => {
    const unsetWithoutReason = SETTING_NAMES.filter((name) => {
      if (infra.has(name)) return false;
      const doc = docs.get(name);
      if (!doc || doc.required) return true;
      return doc.default === undefined && !(name in LOCAL_ONLY);
    });
    expect(unsetWithoutReason).toEqual([]);
  });

  it('sets only settings the app reads or the Functions host owns', () => {
    const unread = [...infra.keys()].filter((name) => !readByApp.has(name) && !(name in RUNTIME_OWNED));
    expect(unread).toEqual([]);
  });

  it('never sets a local-only setting in Azure', () => {
    expect(Object.keys(LOCAL_ONLY).filter((name) => infra.has(name))).toEqual([]);
  });

  it('keeps its own lists honest', () => {
    // Local-only names are settings the app reads, are optional, and SETTINGS says so in words.
    for (const name of Object.keys(LOCAL_ONLY)) {
      const doc = docs.get(name);
      expect({ name, read: readByApp.has(name), required: doc?.required }).toEqual({
        name,
        read: true,
        required: false,
      });
      expect({ name, description: doc?.description }).toEqual({
        name,
        description: expect.stringMatching(/local|emulat|Azurite/i),
      });
    }
    // Runtime-owned names are set by infra/ and are not app settings in disguise.
    for (const name of Object.keys(RUNTIME_OWNED)) {
      expect({ name, setByInfra: infra.has(name), readByApp: readByApp.has(name) }).toEqual({
        name,
        setByInfra: true,
        readByApp: false,
      });
    }
  });

  it('boots the app: the settings infra/ deploys pass the app’s own validation', () => {
    const env: Record<string, string> = {};
    const noStandIn: string[] = [];
    for (const [name, expr] of infra) {
      const literal = stringLiteral(expr);
      if (literal !== undefined) env[name] = literal;
      else if (name in DEPLOYED_VALUES) env[name] = DEPLOYED_VALUES[name]!;
      else noStandIn.push(name);
    }
    expect(noStandIn).toEqual([]);
    const config = loadConfig(env);
    expect(config.storage).toEqual({
      kind: 'identity',
      queueServiceUri: env.AzureWebJobsStorage__queueServiceUri,
      tableServiceUri: env.AzureWebJobsStorage__tableServiceUri,
      clientId: env.AzureWebJobsStorage__clientId,
    });
    expect(config.provisioner.credential).toEqual({
      kind: 'managedIdentityFederation',
      managedIdentityClientId: env.MANAGED_IDENTITY_CLIENT_ID,
    });
    expect(config.provisioner.tenantId).toBe(env.PROVISIONER_TENANT_ID);
    // Production talks to the real cloud: no emulator override is deployed.
    expect(config.graphEndpoint).toBeUndefined();
    expect(config.authorityHost).toBeUndefined();
  });
});
