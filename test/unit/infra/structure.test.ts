/**
 * Structure tests for infra/ (Bicep cannot be compiled on these machines): the resources, settings, role
 * assignments and outputs that the app and azd need are declared, with the security properties the issue asks for.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { QUEUES, TABLES } from '../../../src/shared/adapters/storageNames';
import {
  BicepFile,
  objectEntries,
  parseBicep,
  parseSimpleYaml,
  readBicep,
  readRepoFile,
  ResourceDecl,
  ROOT,
  stringItems,
  stringLiteral,
  valueAt,
  YamlValue,
} from './bicep';
import { FORBIDDEN_ROLE_DEFINITIONS, ROLE_DEFINITIONS } from './publicIds';

const MAIN = 'infra/main.bicep';
const FUNCTION_APP = 'infra/modules/function-app.bicep';
const STORAGE = 'infra/modules/storage.bicep';
const KEY_VAULT = 'infra/modules/key-vault.bicep';
const ROLES = 'infra/modules/role-assignments.bicep';
const BICEP_FILES = [MAIN, FUNCTION_APP, STORAGE, KEY_VAULT, ROLES];

/**
 * The Azure Verified Modules main.bicep uses, pinned to versions confirmed to exist (the module's CHANGELOG in
 * Azure/bicep-registry-modules, and Microsoft's Flex Consumption azd templates that deploy them with these
 * parameters). Moving one is a deliberate change: check its parameters and outputs, then update this list.
 */
const PINNED_AVM: Record<string, string> = {
  'avm/res/managed-identity/user-assigned-identity': '0.4.1',
  'avm/res/operational-insights/workspace': '0.11.1',
  'avm/res/insights/component': '0.6.0',
};

const main = readBicep(MAIN);
const fnApp = readBicep(FUNCTION_APP);
const storage = readBicep(STORAGE);
const keyVault = readBicep(KEY_VAULT);
const roles = readBicep(ROLES);

function resourcesOfType(file: BicepFile, type: string): ResourceDecl[] {
  return file.resources.filter((r) => r.target === type && !r.existing);
}

function onlyResource(file: BicepFile, type: string): ResourceDecl {
  const found = resourcesOfType(file, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

function moduleNamed(file: BicepFile, name: string): ResourceDecl {
  const m = file.modules.find((x) => x.name === name);
  if (!m) throw new Error(`module ${name} is not declared`);
  return m;
}

function param(file: BicepFile, name: string) {
  const p = file.params.find((x) => x.name === name);
  if (!p) throw new Error(`param ${name} is not declared`);
  return p;
}

function allowedValues(file: BicepFile, name: string): string[] {
  const allowed = param(file, name).decorators.find((d) => d.name === 'allowed');
  if (!allowed) throw new Error(`param ${name} has no @allowed list`);
  return stringItems(allowed.args);
}

describe('the Bicep reader', () => {
  const sample = [
    "// a comment with an apostrophe: it's fine",
    "@description('It''s a param')",
    '@allowed([',
    "  'a'",
    "  'b'",
    '])',
    "param p string = 'a'",
    '/* block',
    '   comment */',
    "var v = '${p}-x'",
    "resource r 'Microsoft.X/y@2024-01-01' = {",
    "  name: 'n${p}'",
    '  properties: {',
    "    'quoted-key': union(tags, {",
    "      inner: 'v'",
    '    })',
    "    s: 'has } and { and \\'quote\\' inside'",
    '    nested: {',
    '      deep: true',
    '    }',
    '  }',
    '}',
    "resource loop 'Microsoft.X/z@2024-01-01' = [",
    '  for i in range(0, 2): {',
    "    name: 'z${i}'",
    '  }',
    ']',
    'output o string = v',
  ].join('\n');

  it('reads declarations, decorators, object entries and loops', () => {
    const file = parseBicep(sample);
    expect(file.params.map((p) => [p.name, p.type, p.defaultValue])).toEqual([['p', 'string', "'a'"]]);
    expect(allowedValues(file, 'p')).toEqual(['a', 'b']);
    expect(file.vars.get('v')).toBe("'${p}-x'");
    const [r, loop] = file.resources;
    expect(r).toMatchObject({ name: 'r', target: 'Microsoft.X/y', apiVersion: '2024-01-01', loop: false });
    expect(valueAt(r!.body, 'properties.nested.deep')).toBe('true');
    expect(valueAt(r!.body, 'properties.quoted-key')).toMatch(/^union\(tags, \{[\s\S]*inner: 'v'[\s\S]*\}\)$/);
    expect(stringLiteral(valueAt(r!.body, 'properties.s'))).toBe("has } and { and 'quote' inside");
    expect(stringLiteral(valueAt(r!.body, 'name'))).toBeUndefined(); // interpolated, not a literal
    expect(loop).toMatchObject({ name: 'loop', loop: true });
    expect(valueAt(loop!.body, 'name')).toBe("'z${i}'");
    expect(file.outputs.get('o')).toEqual({ type: 'string', value: 'v' });
  });

  it('fails loudly on what it cannot read', () => {
    expect(() => parseBicep("resource r 'X@1' = {\n  name: 'a'\n")).toThrow(/closing bracket/);
    expect(() => parseBicep("func f() string => 'x'")).toThrow(/unexpected top-level statement/);
    expect(() => objectEntries('{\n  not an entry\n}')).toThrow(/not an object entry/);
  });
});

describe('azd layout', () => {
  it('has the files azd and the hook need', () => {
    for (const rel of [
      'azure.yaml',
      MAIN,
      'infra/main.parameters.json',
      'infra/abbreviations.json',
      ...BICEP_FILES,
      'infra/scripts/setup-provisioner.sh',
      'infra/scripts/setup-provisioner.ps1',
      'infra/README.md',
      'docs/deploy.md',
    ]) {
      expect({ rel, exists: existsSync(path.join(ROOT, rel)) }).toEqual({ rel, exists: true });
    }
  });

  it('deploys at subscription scope and creates the resource group', () => {
    expect(main.targetScope).toBe('subscription');
    const rg = onlyResource(main, 'Microsoft.Resources/resourceGroups');
    for (const m of main.modules)
      expect({ module: m.name, scope: valueAt(m.body, 'scope') }).toEqual({ module: m.name, scope: rg.name });
  });

  it('takes the azd environment name and an azd-prompted location', () => {
    expect(param(main, 'environmentName').defaultValue).toBeUndefined();
    const location = param(main, 'location');
    expect(location.decorators.find((d) => d.name === 'metadata')?.args).toMatch(/azd:\s*\{\s*type:\s*'location'/);
  });

  it('maps main.parameters.json onto the parameters of main.bicep', () => {
    const file = JSON.parse(readRepoFile('infra/main.parameters.json')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const declared = new Set(main.params.map((p) => p.name));
    for (const name of Object.keys(file.parameters))
      expect({ name, declared: declared.has(name) }).toEqual({ name, declared: true });
    for (const p of main.params.filter((x) => x.defaultValue === undefined)) {
      expect({ param: p.name, mapped: p.name in file.parameters }).toEqual({ param: p.name, mapped: true });
    }
    expect(file.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(file.parameters.location?.value).toBe('${AZURE_LOCATION}');
    // The postprovision hook stores the provisioner app's client id in the azd environment; provision reads it.
    expect(file.parameters.provisionerClientId?.value).toMatch(/^\$\{PROVISIONER_CLIENT_ID(=[^}]*)?\}$/);
  });

  it('names resources with the abbreviations in abbreviations.json', () => {
    expect(main.vars.get('abbrs')).toBe("loadJsonContent('./abbreviations.json')");
    const abbreviations = JSON.parse(readRepoFile('infra/abbreviations.json')) as Record<string, string>;
    const used = [...readRepoFile(MAIN).matchAll(/\babbrs\.(\w+)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const key of used) expect({ key, defined: key in abbreviations }).toEqual({ key, defined: true });
  });

  it('uses local modules that exist and Azure Verified Modules pinned to exact versions', () => {
    const registry = main.modules.filter((m) => m.target.startsWith('br'));
    expect(registry.length).toBeGreaterThan(0);
    const pinned: Record<string, string> = {};
    for (const m of registry) {
      const match = /^br\/public:(avm\/[a-z0-9/-]+):(\d+\.\d+\.\d+)$/.exec(m.target);
      expect({ module: m.target, pinnedExactly: Boolean(match) }).toEqual({ module: m.target, pinnedExactly: true });
      pinned[match![1]!] = match![2]!;
    }
    expect(pinned).toEqual(PINNED_AVM);
    for (const m of main.modules.filter((x) => !x.target.startsWith('br'))) {
      const file = path.join(ROOT, 'infra', m.target);
      expect({ module: m.target, exists: existsSync(file) }).toEqual({ module: m.target, exists: true });
    }
  });

  it('outputs what azd, the hook and the guide need', () => {
    const required = [
      'AZURE_LOCATION',
      'AZURE_TENANT_ID',
      'AZURE_RESOURCE_GROUP',
      'RESOURCE_GROUP',
      'AZURE_FUNCTION_APP_NAME',
      'SERVICE_API_NAME',
      'SERVICE_API_URI',
      'AZURE_STORAGE_ACCOUNT_NAME',
      'AZURE_KEY_VAULT_NAME',
      'KEY_VAULT_URL',
      'MANAGED_IDENTITY_CLIENT_ID',
      'MANAGED_IDENTITY_PRINCIPAL_ID',
      'APPLICATIONINSIGHTS_NAME',
    ];
    for (const name of required) expect({ name, type: main.outputs.get(name)?.type }).toEqual({ name, type: 'string' });
    expect(main.outputs.get('AZURE_TENANT_ID')?.value).toBe('tenant().tenantId');
    expect(main.outputs.get('AZURE_LOCATION')?.value).toBe('location');
    expect(main.outputs.get('AZURE_RESOURCE_GROUP')?.value).toBe('rg.name');
    expect(main.outputs.get('MANAGED_IDENTITY_PRINCIPAL_ID')?.value).toBe('identity.outputs.principalId');
  });

  it('gives the hook scripts every azd value they read', () => {
    const azdBuiltIns = new Set(['AZURE_ENV_NAME', 'AZURE_TENANT_ID']);
    const userSettings = new Set([
      'PROVISIONER_CLIENT_ID',
      'PROVISIONER_APP_DISPLAY_NAME',
      'PROVISIONER_TARGET_TENANTS',
      'PROVISIONER_SKIP_ADMIN_CONSENT',
      'PROVISIONER_FIC_AUDIENCE',
    ]);
    for (const script of ['infra/scripts/setup-provisioner.sh', 'infra/scripts/setup-provisioner.ps1']) {
      const text = readRepoFile(script);
      // Upper-case names the script assigns itself are its own variables, not inputs.
      const own = new Set([...text.matchAll(/^\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
      const read = new Set(
        [
          ...[...text.matchAll(/\$\{([A-Z][A-Z0-9_]+)(?::-[^}]*)?\}/g)].map((m) => m[1]!),
          ...[...text.matchAll(/\$env:([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!),
        ].filter((name) => !own.has(name)),
      );
      expect(read.size).toBeGreaterThan(0);
      for (const name of read) {
        const known = main.outputs.has(name) || azdBuiltIns.has(name) || userSettings.has(name);
        expect({ script, name, known }).toEqual({ script, name, known: true });
      }
    }
  });
});

describe('azure.yaml', () => {
  const yaml = parseSimpleYaml(readRepoFile('azure.yaml'));
  const get = (dotted: string): YamlValue | undefined =>
    dotted
      .split('.')
      .reduce<YamlValue | undefined>((node, key) => (typeof node === 'object' ? node[key] : undefined), yaml);

  it('deploys the project root as a TypeScript Function App service named api', () => {
    expect(get('name')).toBe('cm-entra-provisioner');
    expect(get('services.api.project')).toBe('.');
    expect(get('services.api.language')).toBe('ts');
    expect(get('services.api.host')).toBe('function');
    expect(get('infra.path')).toBe('infra');
    expect(get('infra.module')).toBe('main');
    const pkg = JSON.parse(readRepoFile('package.json')) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toBe('dist/src/functions/*.js');
    expect(pkg.scripts.build).toBeDefined();
    expect(existsSync(path.join(ROOT, 'host.json'))).toBe(true);
  });

  it('runs the provisioner setup after provisioning, in bash and in PowerShell', () => {
    expect(get('hooks.postprovision.posix.shell')).toBe('sh');
    expect(get('hooks.postprovision.posix.run')).toBe('bash ./infra/scripts/setup-provisioner.sh');
    expect(get('hooks.postprovision.windows.shell')).toBe('pwsh');
    expect(get('hooks.postprovision.windows.run')).toBe('./infra/scripts/setup-provisioner.ps1');
    expect(get('hooks.postprovision.posix.continueOnError')).toBe('false');
  });

  it('targets the Function App by its azd-service-name tag', () => {
    const site = onlyResource(fnApp, 'Microsoft.Web/sites');
    expect(valueAt(site.body, 'tags')).toMatch(/'azd-service-name':\s*'api'/);
    expect(Object.keys(get('services') as object)).toEqual(['api']);
  });
});

describe('Function App on Flex Consumption', () => {
  const plan = onlyResource(fnApp, 'Microsoft.Web/serverfarms');
  const site = onlyResource(fnApp, 'Microsoft.Web/sites');

  it('runs on a Flex Consumption (FC1) Linux plan', () => {
    expect(stringLiteral(valueAt(plan.body, 'sku.name'))).toBe('FC1');
    expect(stringLiteral(valueAt(plan.body, 'sku.tier'))).toBe('FlexConsumption');
    expect(valueAt(plan.body, 'properties.reserved')).toBe('true');
    expect(stringLiteral(valueAt(site.body, 'kind'))).toBe('functionapp,linux');
    expect(valueAt(site.body, 'properties.serverFarmId')).toBe(`${plan.name}.id`);
    expect(valueAt(site.body, 'properties.httpsOnly')).toBe('true');
  });

  it('runs as the user-assigned managed identity only', () => {
    expect(stringLiteral(valueAt(site.body, 'identity.type'))).toBe('UserAssigned');
    const assigned = objectEntries(valueAt(site.body, 'identity.userAssignedIdentities')!).map((e) => e.key);
    expect(assigned).toEqual(['${identityResourceId}']);
    const args = moduleNamed(main, 'functionApp').body;
    expect(valueAt(args, 'params.identityResourceId')).toBe('identity.outputs.resourceId');
    expect(valueAt(args, 'params.identityClientId')).toBe('identity.outputs.clientId');
    expect(valueAt(moduleNamed(main, 'roles').body, 'params.principalId')).toBe('identity.outputs.principalId');
  });

  it('deploys from a blob container with the managed identity', () => {
    const config = valueAt(site.body, 'properties.functionAppConfig')!;
    expect(stringLiteral(valueAt(config, 'deployment.storage.type'))).toBe('blobContainer');
    expect(valueAt(config, 'deployment.storage.value')).toBe(
      "'${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'",
    );
    expect(stringLiteral(valueAt(config, 'deployment.storage.authentication.type'))).toBe('UserAssignedIdentity');
    expect(valueAt(config, 'deployment.storage.authentication.userAssignedIdentityResourceId')).toBe(
      'identityResourceId',
    );
    expect(valueAt(moduleNamed(main, 'functionApp').body, 'params.deploymentContainerName')).toBe(
      'storage.outputs.deploymentContainerName',
    );
  });

  it('runs Node.js 20 or 22 with bounded scale', () => {
    const config = valueAt(site.body, 'properties.functionAppConfig')!;
    expect(stringLiteral(valueAt(config, 'runtime.name'))).toBe('node');
    expect(valueAt(config, 'runtime.version')).toBe('nodeVersion');
    for (const file of [fnApp, main]) {
      const allowed = allowedValues(file, 'nodeVersion');
      expect(allowed.length).toBeGreaterThan(0);
      for (const v of allowed) expect(['20', '22']).toContain(v);
    }
    expect(allowedValues(main, 'nodeVersion')).toContain(stringLiteral(param(main, 'nodeVersion').defaultValue));
    expect(valueAt(config, 'scaleAndConcurrency.maximumInstanceCount')).toBe('maximumInstanceCount');
    expect(valueAt(config, 'scaleAndConcurrency.instanceMemoryMB')).toBe('instanceMemoryMB');
  });

  it('keeps every app setting in one appsettings resource, identity-based, with no key or storage connection string', () => {
    const config = onlyResource(fnApp, 'Microsoft.Web/sites/config');
    expect(valueAt(config.body, 'parent')).toBe(site.name);
    expect(stringLiteral(valueAt(config.body, 'name'))).toBe('appsettings');
    expect(valueAt(site.body, 'properties.siteConfig.appSettings')).toBeUndefined();

    const settings = new Map(objectEntries(valueAt(config.body, 'properties')!).map((e) => [e.key, e.value]));
    expect(stringLiteral(settings.get('AzureWebJobsStorage__credential'))).toBe('managedidentity');
    expect(settings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(settings.get('AzureWebJobsStorage__accountName')).toBe('storage.name');
    expect(settings.get('MANAGED_IDENTITY_CLIENT_ID')).toBe('identityClientId');
    expect(stringLiteral(settings.get('PROVISIONER_CREDENTIAL'))).toBe('managedIdentityFederation');
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );

    // Not on Flex Consumption (the runtime is functionAppConfig.runtime), and never a key-based storage connection.
    for (const forbidden of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'WEBSITE_CONTENTSHARE',
      'AzureWebJobsStorage',
      'PROVISIONER_CLIENT_SECRET',
    ]) {
      expect({ setting: forbidden, set: settings.has(forbidden) }).toEqual({ setting: forbidden, set: false });
    }
    for (const [name, value] of settings) {
      expect({
        name,
        value,
        keyMaterial: /listKeys|listConnectionStrings|AccountKey|SharedAccess|secret/i.test(value),
      }).toEqual({
        name,
        value,
        keyMaterial: false,
      });
      if (/CONNECTION_?STRING/i.test(name)) {
        // The only connection string: Application Insights', which names the component (local auth is disabled).
        expect({ name, value }).toEqual({
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
          value: 'appInsights.properties.ConnectionString',
        });
      }
    }
  });
});

describe('Storage account', () => {
  const account = onlyResource(storage, 'Microsoft.Storage/storageAccounts');

  it('has shared-key access off and no anonymous or plain-HTTP access', () => {
    expect(valueAt(account.body, 'properties.allowSharedKeyAccess')).toBe('false');
    expect(valueAt(account.body, 'properties.defaultToOAuthAuthentication')).toBe('true');
    expect(valueAt(account.body, 'properties.allowBlobPublicAccess')).toBe('false');
    expect(valueAt(account.body, 'properties.supportsHttpsTrafficOnly')).toBe('true');
    expect(stringLiteral(valueAt(account.body, 'properties.minimumTlsVersion'))).toBe('TLS1_2');
  });

  it('creates the queues of src/shared/adapters/storageNames.ts and their poison queues', () => {
    const queues = onlyResource(storage, 'Microsoft.Storage/storageAccounts/queueServices/queues');
    expect(queues.loop).toBe(true);
    expect(readRepoFile(STORAGE)).toMatch(/for queueName in queueNames:/);
    expect(valueAt(queues.body, 'name')).toBe('queueName');
    const expected = Object.values(QUEUES).flatMap((q) => [q, `${q}-poison`]);
    expect([...stringItems(storage.vars.get('queueNames')!)].sort()).toEqual([...expected].sort());
  });

  it('creates the tables of src/shared/adapters/storageNames.ts', () => {
    const tables = onlyResource(storage, 'Microsoft.Storage/storageAccounts/tableServices/tables');
    expect(tables.loop).toBe(true);
    expect(readRepoFile(STORAGE)).toMatch(/for tableName in tableNames:/);
    expect(valueAt(tables.body, 'name')).toBe('tableName');
    expect([...stringItems(storage.vars.get('tableNames')!)].sort()).toEqual(Object.values(TABLES).sort());
  });

  it('creates the private deployment container Flex Consumption needs', () => {
    const container = onlyResource(storage, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(valueAt(container.body, 'name')).toBe('deploymentContainerName');
    expect(stringLiteral(valueAt(container.body, 'properties.publicAccess'))).toBe('None');
    expect(storage.outputs.get('deploymentContainerName')?.value).toBe(`${container.name}.name`);
  });
});

describe('Key Vault', () => {
  const vault = onlyResource(keyVault, 'Microsoft.KeyVault/vaults');

  it('authorizes with RBAC and keeps soft delete and purge protection on', () => {
    expect(valueAt(vault.body, 'properties.enableRbacAuthorization')).toBe('true');
    expect(valueAt(vault.body, 'properties.enableSoftDelete')).toBe('true');
    expect(valueAt(vault.body, 'properties.enablePurgeProtection')).toBe('true');
    const retention = Number(valueAt(vault.body, 'properties.softDeleteRetentionInDays'));
    expect(retention).toBeGreaterThanOrEqual(7);
    expect(retention).toBeLessThanOrEqual(90);
    expect(valueAt(vault.body, 'properties.accessPolicies')).toBeUndefined();
  });

  it('gives the app its URI', () => {
    expect(keyVault.outputs.get('uri')?.value).toBe(`${vault.name}.properties.vaultUri`);
    expect(valueAt(moduleNamed(main, 'functionApp').body, 'params.keyVaultUri')).toBe('keyVault.outputs.uri');
  });
});

describe('Application Insights and Log Analytics', () => {
  it('sends telemetry to a workspace-based component with local auth disabled', () => {
    const appInsights = moduleNamed(main, 'appInsights');
    expect(appInsights.target).toMatch(/^br\/public:avm\/res\/insights\/component:/);
    expect(valueAt(appInsights.body, 'params.disableLocalAuth')).toBe('true');
    expect(valueAt(appInsights.body, 'params.workspaceResourceId')).toBe('logAnalytics.outputs.resourceId');
    expect(moduleNamed(main, 'logAnalytics').target).toMatch(/^br\/public:avm\/res\/operational-insights\/workspace:/);
  });
});

describe('role assignments', () => {
  const expected: { role: keyof typeof ROLE_DEFINITIONS; scopeType: string }[] = [
    { role: 'storageBlobDataOwner', scopeType: 'Microsoft.Storage/storageAccounts' },
    { role: 'storageQueueDataContributor', scopeType: 'Microsoft.Storage/storageAccounts' },
    { role: 'storageTableDataContributor', scopeType: 'Microsoft.Storage/storageAccounts' },
    { role: 'keyVaultSecretsOfficer', scopeType: 'Microsoft.KeyVault/vaults' },
    { role: 'monitoringMetricsPublisher', scopeType: 'Microsoft.Insights/components' },
  ];
  const assignments = resourcesOfType(roles, 'Microsoft.Authorization/roleAssignments');
  const roleIds = new Map(objectEntries(roles.vars.get('roleIds')!).map((e) => [e.key, stringLiteral(e.value)]));

  it('uses the public ids of the narrowest built-in roles', () => {
    expect(Object.fromEntries(roleIds)).toEqual(
      Object.fromEntries(Object.entries(ROLE_DEFINITIONS).map(([key, r]) => [key, r.id])),
    );
  });

  it('grants exactly these roles, each on its own resource, with deterministic guid() names', () => {
    const seen = assignments.map((a) => {
      const scope = valueAt(a.body, 'scope')!;
      const scopeResource = roles.resources.find((r) => r.name === scope && r.existing);
      const roleKey = /roleIds\.(\w+)\)$/.exec(valueAt(a.body, 'properties.roleDefinitionId') ?? '')?.[1];
      expect(valueAt(a.body, 'properties.roleDefinitionId')).toBe(
        `subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.${roleKey})`,
      );
      expect(valueAt(a.body, 'name')).toBe(`guid(${scope}.id, principalId, roleIds.${roleKey})`);
      expect(valueAt(a.body, 'properties.principalId')).toBe('principalId');
      expect(stringLiteral(valueAt(a.body, 'properties.principalType'))).toBe('ServicePrincipal');
      return { role: roleKey, scopeType: scopeResource?.target };
    });
    const sortKey = (x: { role?: string; scopeType?: string }) => `${x.role}|${x.scopeType}`;
    expect(seen.sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      [...expected].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    );
  });

  it('assigns roles nowhere else, and never a broad role', () => {
    for (const rel of BICEP_FILES.filter((f) => f !== ROLES)) {
      expect({
        rel,
        assignments: resourcesOfType(readBicep(rel), 'Microsoft.Authorization/roleAssignments').length,
      }).toEqual({
        rel,
        assignments: 0,
      });
    }
    for (const m of main.modules)
      expect({ module: m.name, roleAssignments: valueAt(m.body, 'params.roleAssignments') }).toEqual({
        module: m.name,
        roleAssignments: undefined,
      });
    const all = BICEP_FILES.map(readRepoFile).join('\n').toLowerCase();
    for (const broad of FORBIDDEN_ROLE_DEFINITIONS) {
      expect({ role: broad.name, present: all.includes(broad.id) }).toEqual({ role: broad.name, present: false });
    }
  });

  it('explains why the host gets Storage Blob Data Owner', () => {
    expect(readRepoFile(ROLES)).toMatch(/Storage Blob Data Owner[\s\S]*host/);
  });
});
