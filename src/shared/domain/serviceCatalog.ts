/**
 * The Azure services of Configuration Manager's Azure Services wizard, as tabled in seed 002 ("Service details"),
 * and the rules a request must satisfy for the service it names. Seed 004 is the 2018 version of the same table;
 * its Upgrade Readiness row is kept here, marked retired, so that a request for it gets a precise answer.
 */
import { CLOUDS, type CloudCategory, type CloudName } from './clouds';
import type { ProblemItem } from './errors';

export const SERVICE_NAMES = ['CloudManagement', 'LogAnalyticsConnector', 'MicrosoftStoreForBusiness'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
/** Every service either table knows, including retired ones. */
export type CatalogServiceName = ServiceName | 'UpgradeReadiness';

export const ACTIONS = ['create', 'import'] as const;
export type Action = (typeof ACTIONS)[number];

export interface ExtraRequirement {
  readonly code: string;
  readonly text: string;
}

export interface ServiceEntry {
  readonly name: CatalogServiceName;
  /** The service's name in the seed's table. */
  readonly title: string;
  /** "The number of service instances you can configure. Each instance must be a distinct Microsoft Entra tenant." */
  readonly tenants: 'one' | 'multiple';
  readonly clouds: readonly CloudCategory[];
  /** Uses a Web app / API registration (a "server app" in Configuration Manager). */
  readonly webApp: boolean;
  /** Uses a Native registration (a "client app" in Configuration Manager). */
  readonly nativeApp: boolean;
  readonly actions: readonly Action[];
  /** Only the cloud management service comes "with Microsoft Entra discovery". */
  readonly userDiscovery: boolean;
  readonly extraRequirements: readonly ExtraRequirement[];
  readonly retired: boolean;
  readonly source: string;
}

const LOG_ANALYTICS_CONTRIBUTOR: ExtraRequirement = {
  code: 'WEB_APP_CONTRIBUTOR_ON_WORKSPACE_RESOURCE_GROUP',
  text:
    'Give the web app the Contributor role on the resource group that contains the Log Analytics workspace. ' +
    'An Azure administrator must assign it before the app is imported into Configuration Manager.',
};

export const SERVICE_CATALOG: Readonly<Record<CatalogServiceName, ServiceEntry>> = Object.freeze({
  CloudManagement: {
    name: 'CloudManagement',
    title: 'Cloud management with Microsoft Entra discovery',
    tenants: 'multiple',
    clouds: ['public', 'private'],
    webApp: true,
    nativeApp: true,
    actions: ['import', 'create'],
    userDiscovery: true,
    extraRequirements: [],
    retired: false,
    source: 'seed 002',
  },
  LogAnalyticsConnector: {
    name: 'LogAnalyticsConnector',
    title: 'Log Analytics Connector',
    tenants: 'one',
    clouds: ['public', 'private'],
    webApp: true,
    nativeApp: false,
    actions: ['import'],
    userDiscovery: false,
    extraRequirements: [LOG_ANALYTICS_CONTRIBUTOR],
    retired: false,
    source: 'seed 002',
  },
  MicrosoftStoreForBusiness: {
    name: 'MicrosoftStoreForBusiness',
    title: 'Microsoft Store for Business',
    tenants: 'one',
    clouds: ['public'],
    webApp: true,
    nativeApp: false,
    actions: ['import', 'create'],
    userDiscovery: false,
    extraRequirements: [],
    retired: false,
    source: 'seed 002',
  },
  UpgradeReadiness: {
    name: 'UpgradeReadiness',
    title: 'Upgrade Readiness',
    tenants: 'one',
    clouds: ['public'],
    webApp: true,
    nativeApp: false,
    actions: ['import'],
    userDiscovery: false,
    extraRequirements: [
      {
        ...LOG_ANALYTICS_CONTRIBUTOR,
        text: LOG_ANALYTICS_CONTRIBUTOR.text.replace('Log Analytics', 'Upgrade Readiness'),
      },
    ],
    retired: true,
    source: 'seed 004 (2018); absent from the current table (seed 002)',
  },
});

/** The seed 004 (2018) table, for the record: Cloud management was then public-cloud only. */
export const SERVICE_TABLE_2018: Readonly<
  Record<CatalogServiceName, Pick<ServiceEntry, 'tenants' | 'clouds' | 'webApp' | 'nativeApp' | 'actions'>>
> = Object.freeze({
  CloudManagement: {
    tenants: 'multiple',
    clouds: ['public'],
    webApp: true,
    nativeApp: true,
    actions: ['import', 'create'],
  },
  LogAnalyticsConnector: {
    tenants: 'one',
    clouds: ['public', 'private'],
    webApp: true,
    nativeApp: false,
    actions: ['import'],
  },
  UpgradeReadiness: { tenants: 'one', clouds: ['public'], webApp: true, nativeApp: false, actions: ['import'] },
  MicrosoftStoreForBusiness: {
    tenants: 'one',
    clouds: ['public'],
    webApp: true,
    nativeApp: false,
    actions: ['import', 'create'],
  },
});

/** Stable codes of the service rules. */
export const SERVICE_RULES = {
  SERVICE_RETIRED: 'SERVICE_RETIRED',
  ACTION_NOT_SUPPORTED: 'SERVICE_ACTION_NOT_SUPPORTED',
  CLOUD_NOT_SUPPORTED: 'SERVICE_CLOUD_NOT_SUPPORTED',
  CLOUD_NOT_SUPPORTED_BY_CONFIGMGR: 'CLOUD_NOT_SUPPORTED_BY_CONFIGMGR',
  NATIVE_APP_NOT_SUPPORTED: 'SERVICE_NATIVE_APP_NOT_SUPPORTED',
  NATIVE_APP_REQUIRED: 'SERVICE_NATIVE_APP_REQUIRED',
  USER_DISCOVERY_NOT_SUPPORTED: 'SERVICE_USER_DISCOVERY_NOT_SUPPORTED',
  SINGLE_TENANT_SERVICE: 'SERVICE_SINGLE_TENANT',
  TENANT_ALREADY_CONFIGURED: 'SERVICE_TENANT_ALREADY_CONFIGURED',
} as const;
export type ServiceRuleCode = (typeof SERVICE_RULES)[keyof typeof SERVICE_RULES];

export interface ServiceRuleViolation extends ProblemItem {
  readonly rule: ServiceRuleCode;
  readonly code: ServiceRuleCode;
  readonly field?: string;
}

/** What the rules look at; a normalized RegistrationRequest satisfies it. */
export interface ServiceRuleSubject {
  readonly service: CatalogServiceName;
  readonly action: Action;
  readonly cloud: CloudName;
  readonly tenantId: string;
  readonly serverApp: { readonly userDiscovery: boolean };
  readonly clientApp?: unknown;
}

export interface ServiceRuleContext {
  /** Tenants already configured for the same service on the same site, if the caller knows them. */
  readonly configuredTenantIds?: readonly string[];
}

export function getService(name: CatalogServiceName): ServiceEntry {
  return SERVICE_CATALOG[name];
}

function violation(rule: ServiceRuleCode, message: string, field?: string): ServiceRuleViolation {
  return field === undefined ? { rule, code: rule, message } : { rule, code: rule, message, field };
}

/**
 * Every rule of the service table the request breaks (empty when it breaks none). The API answers 422 with them.
 */
export function checkServiceRules(
  request: ServiceRuleSubject,
  context: ServiceRuleContext = {},
): ServiceRuleViolation[] {
  const service = SERVICE_CATALOG[request.service];
  const out: ServiceRuleViolation[] = [];
  if (service.retired) {
    out.push(
      violation(
        SERVICE_RULES.SERVICE_RETIRED,
        `${service.title} is retired: it appears only in the 2018 service table, not in the current one.`,
        '/service',
      ),
    );
  }
  if (!service.actions.includes(request.action)) {
    out.push(
      violation(
        SERVICE_RULES.ACTION_NOT_SUPPORTED,
        `${service.title} supports only ${service.actions.join(' and ')} of its apps, not ${request.action}.`,
        '/action',
      ),
    );
  }
  const cloud = CLOUDS[request.cloud];
  if (!cloud.supportedByConfigMgr) {
    out.push(
      violation(
        SERVICE_RULES.CLOUD_NOT_SUPPORTED_BY_CONFIGMGR,
        `Configuration Manager offers no Azure environment for ${cloud.description} (${cloud.name}).`,
        '/cloud',
      ),
    );
  } else if (!service.clouds.includes(cloud.category)) {
    out.push(
      violation(
        SERVICE_RULES.CLOUD_NOT_SUPPORTED,
        `${service.title} supports only the ${service.clouds.join(' and ')} cloud(s); ${cloud.name} is a ${cloud.category} cloud.`,
        '/cloud',
      ),
    );
  }
  const hasClientApp = request.clientApp !== undefined;
  if (hasClientApp && !service.nativeApp) {
    out.push(
      violation(
        SERVICE_RULES.NATIVE_APP_NOT_SUPPORTED,
        `${service.title} doesn't use a native (client) app; remove clientApp.`,
        '/clientApp',
      ),
    );
  }
  if (!hasClientApp && service.nativeApp) {
    out.push(
      violation(
        SERVICE_RULES.NATIVE_APP_REQUIRED,
        `${service.title} needs a native (client) app besides the web (server) app; add clientApp.`,
        '/clientApp',
      ),
    );
  }
  if (request.serverApp.userDiscovery && !service.userDiscovery) {
    out.push(
      violation(
        SERVICE_RULES.USER_DISCOVERY_NOT_SUPPORTED,
        `Microsoft Entra user discovery belongs to the cloud management service, not to ${service.title}.`,
        '/serverApp/userDiscovery',
      ),
    );
  }
  const configured = (context.configuredTenantIds ?? []).map((t) => t.toLowerCase());
  const tenant = request.tenantId.toLowerCase();
  if (configured.includes(tenant)) {
    out.push(
      violation(
        SERVICE_RULES.TENANT_ALREADY_CONFIGURED,
        `${service.title} is already configured for tenant ${tenant}; each instance must be a distinct tenant.`,
        '/tenantId',
      ),
    );
  } else if (service.tenants === 'one' && configured.length > 0) {
    out.push(
      violation(
        SERVICE_RULES.SINGLE_TENANT_SERVICE,
        `${service.title} supports one tenant, and one is already configured.`,
        '/tenantId',
      ),
    );
  }
  return out;
}
