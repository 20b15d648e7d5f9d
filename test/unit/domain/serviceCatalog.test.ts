import {
  SERVICE_CATALOG,
  SERVICE_NAMES,
  SERVICE_RULES,
  SERVICE_TABLE_2018,
  checkServiceRules,
  type ServiceRuleSubject,
} from '../../../src/shared/domain/serviceCatalog';
import { TENANT_ID } from './fixtures';

function subject(overrides: Partial<ServiceRuleSubject> = {}): ServiceRuleSubject {
  return {
    service: 'CloudManagement',
    action: 'create',
    cloud: 'AzurePublicCloud',
    tenantId: TENANT_ID,
    serverApp: { userDiscovery: true },
    clientApp: { displayName: 'CMG-ClientApp' },
    ...overrides,
  };
}

describe('service table (seed 002)', () => {
  it.each([
    ['CloudManagement', 'multiple', ['public', 'private'], true, true, ['import', 'create']],
    ['LogAnalyticsConnector', 'one', ['public', 'private'], true, false, ['import']],
    ['MicrosoftStoreForBusiness', 'one', ['public'], true, false, ['import', 'create']],
  ] as const)(
    '%s: tenants %s, clouds %j, web app %s, native app %s, actions %j',
    (name, tenants, clouds, web, native, actions) => {
      const s = SERVICE_CATALOG[name];
      expect(s.tenants).toBe(tenants);
      expect(s.clouds).toEqual(clouds);
      expect(s.webApp).toBe(web);
      expect(s.nativeApp).toBe(native);
      expect(s.actions).toEqual(actions);
      expect(s.retired).toBe(false);
    },
  );

  it('only Cloud Management comes with Microsoft Entra discovery', () => {
    expect(SERVICE_NAMES.filter((n) => SERVICE_CATALOG[n].userDiscovery)).toEqual(['CloudManagement']);
  });

  it('Log Analytics needs the web app as Contributor on the workspace resource group', () => {
    const [req] = SERVICE_CATALOG.LogAnalyticsConnector.extraRequirements;
    expect(req?.code).toBe('WEB_APP_CONTRIBUTOR_ON_WORKSPACE_RESOURCE_GROUP');
    expect(req?.text).toMatch(/Contributor role on the resource group that contains the Log Analytics workspace/);
    expect(SERVICE_CATALOG.CloudManagement.extraRequirements).toEqual([]);
    expect(SERVICE_CATALOG.MicrosoftStoreForBusiness.extraRequirements).toEqual([]);
  });

  it('keeps the 2018 Upgrade Readiness row (seed 004) as retired and not requestable', () => {
    const ur = SERVICE_CATALOG.UpgradeReadiness;
    expect(ur).toMatchObject({
      tenants: 'one',
      clouds: ['public'],
      webApp: true,
      nativeApp: false,
      actions: ['import'],
      retired: true,
    });
    expect(SERVICE_NAMES).not.toContain('UpgradeReadiness');
  });

  it('pins the 2018 table, where Cloud management was public-cloud only', () => {
    expect(SERVICE_TABLE_2018.CloudManagement.clouds).toEqual(['public']);
    expect(SERVICE_TABLE_2018.LogAnalyticsConnector).toEqual({
      tenants: 'one',
      clouds: ['public', 'private'],
      webApp: true,
      nativeApp: false,
      actions: ['import'],
    });
    expect(SERVICE_TABLE_2018.MicrosoftStoreForBusiness.actions).toEqual(['import', 'create']);
  });
});

describe('checkServiceRules', () => {
  it('accepts a Cloud Management create in either Configuration Manager cloud', () => {
    expect(checkServiceRules(subject())).toEqual([]);
    expect(checkServiceRules(subject({ cloud: 'AzureUSGovernmentCloud', action: 'import' }))).toEqual([]);
  });

  it('refuses create for Log Analytics (import only)', () => {
    const v = checkServiceRules(
      subject({ service: 'LogAnalyticsConnector', clientApp: undefined, serverApp: { userDiscovery: false } }),
    );
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      rule: SERVICE_RULES.ACTION_NOT_SUPPORTED,
      code: 'SERVICE_ACTION_NOT_SUPPORTED',
      field: '/action',
    });
    expect(v[0]?.message).toMatch(/supports only import/);
  });

  it('accepts Log Analytics import in the US Government cloud', () => {
    expect(
      checkServiceRules(
        subject({
          service: 'LogAnalyticsConnector',
          action: 'import',
          cloud: 'AzureUSGovernmentCloud',
          clientApp: undefined,
          serverApp: { userDiscovery: false },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses the US Government cloud for Microsoft Store for Business (public only)', () => {
    const v = checkServiceRules(
      subject({
        service: 'MicrosoftStoreForBusiness',
        cloud: 'AzureUSGovernmentCloud',
        clientApp: undefined,
        serverApp: { userDiscovery: false },
      }),
    );
    expect(v.map((x) => x.rule)).toEqual(['SERVICE_CLOUD_NOT_SUPPORTED']);
    expect(v[0]?.field).toBe('/cloud');
  });

  it('refuses clouds Configuration Manager has no environment for', () => {
    expect(checkServiceRules(subject({ cloud: 'AzureChinaCloud' })).map((x) => x.rule)).toEqual([
      'CLOUD_NOT_SUPPORTED_BY_CONFIGMGR',
    ]);
    expect(checkServiceRules(subject({ cloud: 'AzureUSGovernmentDoD' })).map((x) => x.rule)).toEqual([
      'CLOUD_NOT_SUPPORTED_BY_CONFIGMGR',
    ]);
  });

  it('refuses a native app for services without one, and requires it for Cloud Management', () => {
    expect(
      checkServiceRules(subject({ service: 'MicrosoftStoreForBusiness', serverApp: { userDiscovery: false } })).map(
        (x) => x.rule,
      ),
    ).toEqual(['SERVICE_NATIVE_APP_NOT_SUPPORTED']);
    expect(checkServiceRules(subject({ clientApp: undefined })).map((x) => x.rule)).toEqual([
      'SERVICE_NATIVE_APP_REQUIRED',
    ]);
  });

  it('refuses user discovery outside Cloud Management', () => {
    const v = checkServiceRules(subject({ service: 'MicrosoftStoreForBusiness', clientApp: undefined }));
    expect(v.map((x) => x.rule)).toEqual(['SERVICE_USER_DISCOVERY_NOT_SUPPORTED']);
    expect(v[0]?.field).toBe('/serverApp/userDiscovery');
  });

  it('refuses the retired Upgrade Readiness service', () => {
    const v = checkServiceRules(
      subject({
        service: 'UpgradeReadiness',
        action: 'import',
        clientApp: undefined,
        serverApp: { userDiscovery: false },
      }),
    );
    expect(v.map((x) => x.rule)).toEqual(['SERVICE_RETIRED']);
  });

  it('enforces one tenant per single-tenant service and distinct tenants for all', () => {
    const store = subject({
      service: 'MicrosoftStoreForBusiness',
      clientApp: undefined,
      serverApp: { userDiscovery: false },
    });
    expect(
      checkServiceRules(store, { configuredTenantIds: ['0b0b0b0b-0000-4000-8000-000000000000'] }).map((x) => x.rule),
    ).toEqual(['SERVICE_SINGLE_TENANT']);
    expect(checkServiceRules(subject(), { configuredTenantIds: ['0b0b0b0b-0000-4000-8000-000000000000'] })).toEqual([]);
    expect(checkServiceRules(subject(), { configuredTenantIds: [TENANT_ID.toUpperCase()] }).map((x) => x.rule)).toEqual(
      ['SERVICE_TENANT_ALREADY_CONFIGURED'],
    );
  });

  it('reports every broken rule at once', () => {
    const v = checkServiceRules({
      service: 'LogAnalyticsConnector',
      action: 'create',
      cloud: 'AzurePublicCloud',
      tenantId: TENANT_ID,
      serverApp: { userDiscovery: true },
      clientApp: { displayName: 'x' },
    });
    expect(v.map((x) => x.rule).sort()).toEqual(
      [
        'SERVICE_ACTION_NOT_SUPPORTED',
        'SERVICE_NATIVE_APP_NOT_SUPPORTED',
        'SERVICE_USER_DISCOVERY_NOT_SUPPORTED',
      ].sort(),
    );
    for (const x of v) expect(x.code).toBe(x.rule);
  });
});
