import {
  VERIFY_RULES,
  repairSteps,
  requirementsFor,
  verifyRegistration,
  type ObservedRegistration,
  type VerifyRule,
} from '../../../src/shared/domain/verify';
import {
  CLIENT_APP_ID,
  CLIENT_SP_ID,
  CREDENTIAL_KEY_ID,
  DIRECTORY_READ_ALL,
  GRAPH,
  GRAPH_SP_ID,
  REQUEST_ID,
  SERVER_APP_ID,
  SERVER_SP_ID,
  TENANT_ID,
  USER_READ,
  compliantObserved,
  validRequest,
} from './fixtures';

type DeepMutable<T> = T extends readonly (infer U)[]
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;
type Obs = DeepMutable<ObservedRegistration>;

const now = new Date('2026-03-01T12:00:00Z');
const options = { now, credentialKeyId: CREDENTIAL_KEY_ID };
const createReq = requirementsFor(validRequest(), REQUEST_ID);

function observedWith(mutate: (o: Obs) => void): ObservedRegistration {
  const o = structuredClone(compliantObserved()) as Obs;
  mutate(o);
  return o;
}

function rules(o: ObservedRegistration, req = createReq): VerifyRule[] {
  return verifyRegistration(req, o, options).map((d) => d.rule);
}

describe('verifyRegistration: create', () => {
  it('a registration that follows seed 000 is compliant', () => {
    expect(verifyRegistration(createReq, compliantObserved(), options)).toEqual([]);
  });

  const single: [string, (o: Obs) => void, VerifyRule][] = [
    ['server app missing', (o) => delete o.serverApp, 'SERVER_APP_PRESENT'],
    ['server displayName', (o) => (o.serverApp!.displayName = 'CMG-Other'), 'SERVER_DISPLAY_NAME'],
    [
      'server signInAudience multi-tenant',
      (o) => (o.serverApp!.signInAudience = 'AzureADMultipleOrgs'),
      'SERVER_SIGN_IN_AUDIENCE',
    ],
    [
      'server App ID URI changed',
      (o) => (o.serverApp!.identifierUris = ['https://ConfigMgrService']),
      'SERVER_IDENTIFIER_URIS',
    ],
    [
      'server second App ID URI',
      (o) => o.serverApp!.identifierUris!.push(`api://${SERVER_APP_ID}`),
      'SERVER_IDENTIFIER_URIS',
    ],
    ['server homePageUrl', (o) => (o.serverApp!.web!.homePageUrl = 'https://other'), 'SERVER_HOME_PAGE_URL'],
    ['server redirect URI missing', (o) => (o.serverApp!.publicClient = { redirectUris: [] }), 'SERVER_REDIRECT_URIS'],
    [
      'server extra redirect URI',
      (o) => o.serverApp!.publicClient!.redirectUris!.push('https://x'),
      'SERVER_REDIRECT_URIS',
    ],
    [
      'server id token issuance off',
      (o) => (o.serverApp!.web!.implicitGrantSettings = { enableIdTokenIssuance: false }),
      'SERVER_ID_TOKEN_ISSUANCE',
    ],
    ['server scope missing', (o) => (o.serverApp!.api = { oauth2PermissionScopes: [] }), 'SERVER_SCOPE_PRESENT'],
    [
      'server scope id not the deterministic one (client following it)',
      (o) => {
        o.serverApp!.api!.oauth2PermissionScopes![0]!.id = '77777777-7777-4777-8777-777777777777';
        o.clientApp!.requiredResourceAccess![1]!.resourceAccess = [
          { id: '77777777-7777-4777-8777-777777777777', type: 'Scope' },
        ];
      },
      'SERVER_SCOPE_ID',
    ],
    [
      'server scope admins only',
      (o) => (o.serverApp!.api!.oauth2PermissionScopes![0]!.type = 'Admin'),
      'SERVER_SCOPE_TYPE',
    ],
    [
      'server scope disabled',
      (o) => (o.serverApp!.api!.oauth2PermissionScopes![0]!.isEnabled = false),
      'SERVER_SCOPE_ENABLED',
    ],
    [
      'server scope admin consent display name',
      (o) => (o.serverApp!.api!.oauth2PermissionScopes![0]!.adminConsentDisplayName = 'Access'),
      'SERVER_SCOPE_ADMIN_CONSENT_DISPLAY_NAME',
    ],
    [
      'server scope admin consent description',
      (o) => (o.serverApp!.api!.oauth2PermissionScopes![0]!.adminConsentDescription = ''),
      'SERVER_SCOPE_ADMIN_CONSENT_DESCRIPTION',
    ],
    [
      'server lacks Directory.Read.All',
      (o) => (o.serverApp!.requiredResourceAccess = []),
      'SERVER_GRAPH_DIRECTORY_READ_ALL',
    ],
    [
      'server Directory.Read.All as delegated instead of application permission',
      (o) =>
        (o.serverApp!.requiredResourceAccess = [
          { resourceAppId: GRAPH, resourceAccess: [{ id: DIRECTORY_READ_ALL, type: 'Scope' }] },
        ]),
      'SERVER_GRAPH_DIRECTORY_READ_ALL',
    ],
    [
      'server still has User.Read',
      (o) => o.serverApp!.requiredResourceAccess![0]!.resourceAccess!.push({ id: USER_READ, type: 'Scope' }),
      'SERVER_GRAPH_USER_READ',
    ],
    ['server secret missing', (o) => (o.serverApp!.passwordCredentials = []), 'SERVER_SECRET_PRESENT'],
    [
      'server secret expired',
      (o) => (o.serverApp!.passwordCredentials![0]!.endDateTime = '2026-03-01T11:59:59Z'),
      'SERVER_SECRET_NOT_EXPIRED',
    ],
    ['server SP missing', (o) => delete o.serverServicePrincipal, 'SERVER_SP_PRESENT'],
    ['server SP of another app', (o) => (o.serverServicePrincipal!.appId = CLIENT_APP_ID), 'SERVER_SP_PRESENT'],
    ['server SP disabled', (o) => (o.serverServicePrincipal!.accountEnabled = false), 'SERVER_SP_ENABLED'],
    ['client app missing', (o) => delete o.clientApp, 'CLIENT_APP_PRESENT'],
    ['client displayName', (o) => (o.clientApp!.displayName = 'x'), 'CLIENT_DISPLAY_NAME'],
    [
      'client signInAudience',
      (o) => (o.clientApp!.signInAudience = 'AzureADandPersonalMicrosoftAccount'),
      'CLIENT_SIGN_IN_AUDIENCE',
    ],
    [
      'client broker redirect missing',
      (o) => (o.clientApp!.publicClient = { redirectUris: [] }),
      'CLIENT_BROKER_REDIRECT_URI',
    ],
    [
      'client broker redirect with another app id',
      (o) =>
        (o.clientApp!.publicClient = { redirectUris: [`ms-appx-web://Microsoft.AAD.BrokerPlugin/${SERVER_APP_ID}`] }),
      'CLIENT_BROKER_REDIRECT_URI',
    ],
    [
      'client public client flows off',
      (o) => (o.clientApp!.isFallbackPublicClient = false),
      'CLIENT_PUBLIC_CLIENT_FLOWS',
    ],
    [
      'client public client flows unset',
      (o) => (o.clientApp!.isFallbackPublicClient = null),
      'CLIENT_PUBLIC_CLIENT_FLOWS',
    ],
    [
      'client id token issuance off',
      (o) => (o.clientApp!.web = { implicitGrantSettings: { enableIdTokenIssuance: false } }),
      'CLIENT_ID_TOKEN_ISSUANCE',
    ],
    [
      'client lacks user_impersonation',
      (o) => o.clientApp!.requiredResourceAccess!.pop(),
      'CLIENT_SERVER_USER_IMPERSONATION',
    ],
    ['client lacks User.Read', (o) => o.clientApp!.requiredResourceAccess!.shift(), 'CLIENT_GRAPH_USER_READ'],
    ['client SP missing', (o) => delete o.clientServicePrincipal, 'CLIENT_SP_PRESENT'],
    ['client SP disabled', (o) => (o.clientServicePrincipal!.accountEnabled = false), 'CLIENT_SP_ENABLED'],
    ['no Directory.Read.All consent', (o) => (o.appRoleAssignments = []), 'CONSENT_DIRECTORY_READ_ALL'],
    [
      'Directory.Read.All consent for another principal',
      (o) =>
        (o.appRoleAssignments = [
          { principalId: CLIENT_SP_ID, resourceId: GRAPH_SP_ID, appRoleId: DIRECTORY_READ_ALL },
        ]),
      'CONSENT_DIRECTORY_READ_ALL',
    ],
    ['no user_impersonation consent', (o) => o.oauth2PermissionGrants.shift(), 'CONSENT_USER_IMPERSONATION'],
    [
      'user_impersonation consented for one user only',
      (o) => (o.oauth2PermissionGrants[0]!.consentType = 'Principal'),
      'CONSENT_USER_IMPERSONATION',
    ],
    ['no User.Read consent', (o) => o.oauth2PermissionGrants.pop(), 'CONSENT_GRAPH_USER_READ'],
  ];

  it.each(single)('detects: %s', (_what, mutate, rule) => {
    const deviations = verifyRegistration(createReq, observedWith(mutate), options);
    const own = deviations.filter((d) => d.rule === rule);
    expect(own).toHaveLength(1);
    expect(own[0]?.object).toBe(VERIFY_RULES[rule].object);
    // a missing object may also break what depends on it; anything else is a single deviation
    if (!/_PRESENT$/.test(rule)) expect(deviations.map((d) => d.rule)).toEqual([rule]);
  });

  it('reports expected and actual values', () => {
    const [d] = verifyRegistration(
      createReq,
      observedWith((o) => (o.clientApp!.isFallbackPublicClient = false)),
      options,
    );
    expect(d).toEqual({
      object: 'clientApp',
      property: 'isFallbackPublicClient',
      expected: true,
      actual: false,
      rule: 'CLIENT_PUBLIC_CLIENT_FLOWS',
    });
  });

  it('accepts extra scopes in a consent grant and ignores case in ids', () => {
    const o = observedWith((x) => {
      x.oauth2PermissionGrants[0]!.scope = 'openid user_impersonation';
      x.serverServicePrincipal!.id = SERVER_SP_ID.toUpperCase();
    });
    expect(rules(o)).toEqual([]);
  });

  it('without user discovery: User.Read required on the server, Directory.Read.All and its consent not', () => {
    const req = requirementsFor(
      validRequest({ serverApp: { ...validRequest().serverApp, userDiscovery: false } }),
      REQUEST_ID,
    );
    const withUserRead = observedWith((o) => {
      o.serverApp!.requiredResourceAccess = [
        { resourceAppId: GRAPH, resourceAccess: [{ id: USER_READ, type: 'Scope' }] },
      ];
      o.appRoleAssignments = [];
    });
    expect(rules(withUserRead, req)).toEqual([]);
    expect(rules(compliantObserved(), req).sort()).toEqual([
      'SERVER_GRAPH_DIRECTORY_READ_ALL',
      'SERVER_GRAPH_USER_READ',
    ]);
  });

  it('skips the secret checks when no credential is named', () => {
    const o = observedWith((x) => (x.serverApp!.passwordCredentials = []));
    expect(verifyRegistration(createReq, o)).toEqual([]);
  });

  it('for a service without a native app, checks only the server side', () => {
    const req = requirementsFor(
      validRequest({
        service: 'MicrosoftStoreForBusiness',
        clientApp: undefined,
        serverApp: { ...validRequest().serverApp, userDiscovery: false },
      }),
      REQUEST_ID,
    );
    const o = observedWith((x) => {
      delete x.clientApp;
      delete x.clientServicePrincipal;
      x.oauth2PermissionGrants = [];
      x.appRoleAssignments = [];
      x.serverApp!.requiredResourceAccess = [
        { resourceAppId: GRAPH, resourceAccess: [{ id: USER_READ, type: 'Scope' }] },
      ];
    });
    expect(rules(o, req)).toEqual([]);
  });
});

describe('verifyRegistration: import of apps created by hand (seed 000)', () => {
  const importReq = requirementsFor(
    validRequest({
      action: 'import',
      serverApp: { ...validRequest().serverApp, appId: SERVER_APP_ID },
      clientApp: { displayName: 'CMG-ClientApp', appId: CLIENT_APP_ID },
    }),
    REQUEST_ID,
  );
  const handMade = () =>
    observedWith((o) => {
      // made in the portal: its own scope id, its own consent texts, no HomePage URL
      const scopeId = '88888888-8888-4888-8888-888888888888';
      o.serverApp!.api!.oauth2PermissionScopes![0]!.id = scopeId;
      o.serverApp!.api!.oauth2PermissionScopes![0]!.adminConsentDisplayName = 'Access the CMG';
      o.serverApp!.api!.oauth2PermissionScopes![0]!.adminConsentDescription = 'Lets clients reach the CMG.';
      o.serverApp!.web!.homePageUrl = null;
      o.clientApp!.requiredResourceAccess![1]!.resourceAccess = [{ id: scopeId, type: 'Scope' }];
    });

  it("accepts the portal's own scope id, consent wording and missing HomePage URL", () => {
    expect(verifyRegistration(importReq, handMade(), options)).toEqual([]);
  });

  it('still requires non-empty admin consent texts', () => {
    const o = observedWith((x) => (x.serverApp!.api!.oauth2PermissionScopes![0]!.adminConsentDisplayName = ' '));
    expect(rules(o, { ...importReq })).toEqual(['SERVER_SCOPE_ADMIN_CONSENT_DISPLAY_NAME']);
  });

  it("requires the client to request the server's actual scope id", () => {
    const o = observedWith(
      (x) => (x.serverApp!.api!.oauth2PermissionScopes![0]!.id = '99999999-9999-4999-8999-999999999999'),
    );
    expect(rules(o, importReq)).toEqual(['CLIENT_SERVER_USER_IMPERSONATION']);
  });

  it('checks that the apps found are the ones named in the request', () => {
    const o = observedWith((x) => (x.serverApp!.appId = '12121212-1212-4212-8212-121212121212'));
    expect(rules(o, importReq)).toContain('SERVER_APP_ID');
    const c = observedWith((x) => (x.clientApp!.appId = '13131313-1313-4313-8313-131313131313'));
    expect(rules(c, importReq)).toContain('CLIENT_APP_ID');
  });
});

describe('repairSteps', () => {
  it('maps deviations to the steps that repair them, in pipeline order, once each', () => {
    const o = observedWith((x) => {
      x.clientApp!.publicClient = { redirectUris: [] };
      x.serverApp!.displayName = 'x';
      x.serverApp!.web!.homePageUrl = 'https://y';
      x.oauth2PermissionGrants = [];
    });
    expect(repairSteps(verifyRegistration(createReq, o, options))).toEqual([
      'serverApp',
      'clientRedirect',
      'delegatedGrant',
      'clientGraphGrant',
    ]);
    expect(repairSteps([])).toEqual([]);
  });

  it('names a repair step for every rule', () => {
    for (const rule of Object.keys(VERIFY_RULES) as VerifyRule[]) expect(VERIFY_RULES[rule].repairStep).toBeTruthy();
  });
});

it('requirementsFor carries the request values', () => {
  expect(createReq).toMatchObject({
    action: 'create',
    requestId: REQUEST_ID,
    userDiscovery: true,
    nativeApp: true,
    server: {
      displayName: 'CMG-ServerApp',
      appIdUri: `api://${TENANT_ID}/ConfigMgrService`,
      homePageUrl: 'https://ConfigMgrService',
    },
    client: { displayName: 'CMG-ClientApp' },
  });
});
