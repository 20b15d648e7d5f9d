import {
  DEFAULT_HOME_PAGE_URL,
  acceptRegistrationRequest,
  assertIdempotent,
  canonicalJson,
  canonicalRequest,
  idempotencyDecision,
  jsonPointer,
  parseRegistrationRequest,
  registrationRequestJsonSchema,
  requestFingerprint,
  type FieldError,
  type RegistrationRequest,
} from '../../../src/shared/domain/registrationRequest';
import {
  IdempotencyConflictError,
  RequestValidationError,
  ServiceRuleViolationError,
} from '../../../src/shared/domain/errors';
import { TENANT_ID, validInput, validRequest } from './fixtures';

function parseOk(input: unknown): RegistrationRequest {
  const r = parseRegistrationRequest(input);
  if (!r.ok) throw new Error(`expected success, got ${JSON.stringify(r.errors)}`);
  return r.value;
}

function errorsOf(input: unknown): readonly FieldError[] {
  const r = parseRegistrationRequest(input);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

function withServer(patch: Record<string, unknown>): Record<string, unknown> {
  const input = validInput();
  return { ...input, serverApp: { ...(input.serverApp as object), ...patch } };
}

describe('parseRegistrationRequest: defaults and normalization', () => {
  it('applies the wizard defaults: HomePage URL https://ConfigMgrService, 1-year secret, user discovery on', () => {
    const r = parseOk(validInput());
    expect(r.serverApp.homePageUrl).toBe('https://ConfigMgrService');
    expect(DEFAULT_HOME_PAGE_URL).toBe('https://ConfigMgrService');
    expect(r.serverApp.secretValidityYears).toBe(1);
    expect(r.serverApp.userDiscovery).toBe(true);
    expect(r).toEqual(validRequest());
  });

  it('defaults user discovery to off for services without it', () => {
    const input = { ...validInput(), service: 'MicrosoftStoreForBusiness' };
    delete (input as Record<string, unknown>).clientApp;
    expect(parseOk(input).serverApp.userDiscovery).toBe(false);
  });

  it('keeps explicit values', () => {
    const r = parseOk(
      withServer({ secretValidityYears: 2, userDiscovery: false, homePageUrl: 'https://cmg.contoso.com' }),
    );
    expect(r.serverApp).toMatchObject({
      secretValidityYears: 2,
      userDiscovery: false,
      homePageUrl: 'https://cmg.contoso.com',
    });
  });

  it('lower-cases the tenant id and tenant name and trims display names', () => {
    const r = parseOk({
      ...withServer({ displayName: '  CMG-ServerApp  ' }),
      tenantId: TENANT_ID.toUpperCase(),
      tenantName: ' Contoso.OnMicrosoft.com ',
      serverApp: { displayName: '  CMG-ServerApp  ', appIdUri: `api://${TENANT_ID.toUpperCase()}/ConfigMgrService` },
    });
    expect(r.tenantId).toBe(TENANT_ID);
    expect(r.tenantName).toBe('contoso.onmicrosoft.com');
    expect(r.serverApp.displayName).toBe('CMG-ServerApp');
    // the App ID URI is an identifier: kept exactly as given
    expect(r.serverApp.appIdUri).toBe(`api://${TENANT_ID.toUpperCase()}/ConfigMgrService`);
  });

  it('accepts the https://{verified domain}/{string} form and the US Government cloud', () => {
    const r = parseOk({
      ...withServer({ appIdUri: 'https://contoso.onmicrosoft.com/ConfigMgrService' }),
      cloud: 'AzureUSGovernmentCloud',
      callbackUrl: 'https://itsm.contoso.com/hooks/cmg',
    });
    expect(r.cloud).toBe('AzureUSGovernmentCloud');
    expect(r.callbackUrl).toBe('https://itsm.contoso.com/hooks/cmg');
  });

  it("accepts import with the existing apps' ids", () => {
    const input = validInput();
    const r = parseOk({
      ...input,
      action: 'import',
      serverApp: { ...(input.serverApp as object), appId: '7078946D-FC1C-43B7-8DEE-DD6E6B00D783' },
      clientApp: { displayName: 'CMG-ClientApp', appId: '2afe572e-d268-4c77-a22d-fdca617e2255' },
    });
    expect(r.serverApp.appId).toBe('7078946d-fc1c-43b7-8dee-dd6e6b00d783');
    expect(r.clientApp?.appId).toBe('2afe572e-d268-4c77-a22d-fdca617e2255');
  });
});

describe('parseRegistrationRequest: each invalid field', () => {
  const cases: [string, (i: Record<string, unknown>) => unknown, string, string][] = [
    ['ticketId missing', (i) => ({ ...i, ticketId: undefined }), '/ticketId', 'REQUIRED'],
    ['ticketId empty', (i) => ({ ...i, ticketId: '' }), '/ticketId', 'TOO_SHORT'],
    ['ticketId > 128', (i) => ({ ...i, ticketId: 'T'.repeat(129) }), '/ticketId', 'TOO_LONG'],
    [
      'ticketId with a control character',
      (i) => ({ ...i, ticketId: 'CHG\n1' }),
      '/ticketId',
      'TICKET_ID_NOT_PRINTABLE',
    ],
    ['ticketId with non-ASCII', (i) => ({ ...i, ticketId: 'CHG–1' }), '/ticketId', 'TICKET_ID_NOT_PRINTABLE'],
    ['ticketId with a trailing space', (i) => ({ ...i, ticketId: 'CHG1 ' }), '/ticketId', 'TICKET_ID_NOT_PRINTABLE'],
    ['requestedBy missing', (i) => ({ ...i, requestedBy: undefined }), '/requestedBy', 'REQUIRED'],
    ['requestedBy blank', (i) => ({ ...i, requestedBy: '   ' }), '/requestedBy', 'TOO_SHORT'],
    ['service unknown', (i) => ({ ...i, service: 'Intune' }), '/service', 'INVALID_VALUE'],
    ['service retired', (i) => ({ ...i, service: 'UpgradeReadiness' }), '/service', 'INVALID_VALUE'],
    ['action unknown', (i) => ({ ...i, action: 'delete' }), '/action', 'INVALID_VALUE'],
    ['tenantId not a GUID', (i) => ({ ...i, tenantId: 'contoso' }), '/tenantId', 'INVALID_GUID'],
    ['tenantName not a domain', (i) => ({ ...i, tenantName: 'Contoso' }), '/tenantName', 'TENANT_NAME_FORMAT'],
    ['cloud DoD', (i) => ({ ...i, cloud: 'AzureUSGovernmentDoD' }), '/cloud', 'INVALID_VALUE'],
    ['cloud China', (i) => ({ ...i, cloud: 'AzureChinaCloud' }), '/cloud', 'INVALID_VALUE'],
    ['serverApp missing', (i) => ({ ...i, serverApp: undefined }), '/serverApp', 'REQUIRED'],
    ['server displayName empty', () => withServer({ displayName: '' }), '/serverApp/displayName', 'TOO_SHORT'],
    [
      'server displayName > 120',
      () => withServer({ displayName: 'x'.repeat(121) }),
      '/serverApp/displayName',
      'TOO_LONG',
    ],
    [
      'server displayName control char',
      () => withServer({ displayName: 'CMG\u0000' }),
      '/serverApp/displayName',
      'CONTROL_CHARACTERS',
    ],
    [
      'server displayName C1 control',
      () => withServer({ displayName: 'CMG\u0085x' }),
      '/serverApp/displayName',
      'CONTROL_CHARACTERS',
    ],
    [
      'appIdUri legacy',
      () => withServer({ appIdUri: 'https://ConfigMgrService' }),
      '/serverApp/appIdUri',
      'APP_ID_URI_LEGACY_DEFAULT',
    ],
    [
      'appIdUri other form',
      () => withServer({ appIdUri: 'https://contososerver' }),
      '/serverApp/appIdUri',
      'APP_ID_URI_FORMAT',
    ],
    [
      'appIdUri for another tenant',
      () => withServer({ appIdUri: 'api://0b0b0b0b-0000-4000-8000-000000000000/ConfigMgrService' }),
      '/serverApp/appIdUri',
      'APP_ID_URI_TENANT_MISMATCH',
    ],
    [
      'homePageUrl http',
      () => withServer({ homePageUrl: 'http://ConfigMgrService' }),
      '/serverApp/homePageUrl',
      'HTTPS_URL_REQUIRED',
    ],
    [
      'secretValidityYears 3',
      () => withServer({ secretValidityYears: 3 }),
      '/serverApp/secretValidityYears',
      'INVALID_VALUE',
    ],
    [
      'secretValidityYears "1"',
      () => withServer({ secretValidityYears: '1' }),
      '/serverApp/secretValidityYears',
      'INVALID_VALUE',
    ],
    [
      'userDiscovery not boolean',
      () => withServer({ userDiscovery: 'yes' }),
      '/serverApp/userDiscovery',
      'INVALID_TYPE',
    ],
    [
      'serverApp.appId on create',
      () => withServer({ appId: '7078946d-fc1c-43b7-8dee-dd6e6b00d783' }),
      '/serverApp/appId',
      'NOT_ALLOWED_FOR_CREATE',
    ],
    [
      'serverApp.appId missing on import',
      (i) => ({ ...i, action: 'import' }),
      '/serverApp/appId',
      'REQUIRED_FOR_IMPORT',
    ],
    ['serverApp.appId not a GUID', () => withServer({ appId: 'x' }), '/serverApp/appId', 'INVALID_GUID'],
    [
      'client displayName empty',
      (i) => ({ ...i, clientApp: { displayName: '' } }),
      '/clientApp/displayName',
      'TOO_SHORT',
    ],
    [
      'client displayName tab',
      (i) => ({ ...i, clientApp: { displayName: 'a\tb' } }),
      '/clientApp/displayName',
      'CONTROL_CHARACTERS',
    ],
    [
      'callbackUrl http',
      (i) => ({ ...i, callbackUrl: 'http://itsm.contoso.com/x' }),
      '/callbackUrl',
      'HTTPS_URL_REQUIRED',
    ],
    [
      'callbackUrl with credentials',
      (i) => ({ ...i, callbackUrl: 'https://u:p@itsm.contoso.com/x' }),
      '/callbackUrl',
      'URL_CREDENTIALS_NOT_ALLOWED',
    ],
    ['unknown field', (i) => ({ ...i, userDiscovry: true }), '/userDiscovry', 'UNKNOWN_FIELD'],
    ['unknown nested field', () => withServer({ replyUrl: 'https://x.com' }), '/serverApp/replyUrl', 'UNKNOWN_FIELD'],
  ];

  it.each(cases)('%s → %s %s', (_what, mutate, field, code) => {
    const errors = errorsOf(mutate(validInput()));
    expect(errors).toContainEqual(expect.objectContaining({ field, code }));
    for (const e of errors) expect(e.message.length).toBeGreaterThan(0);
  });

  it('explains the legacy App ID URI refusal', () => {
    const [e] = errorsOf(withServer({ appIdUri: 'https://ConfigMgrService' }));
    expect(e?.message).toMatch(/old default App ID URI.*verified domain/);
  });

  it('names the retired service and the unsupported cloud in the messages', () => {
    expect(errorsOf({ ...validInput(), service: 'UpgradeReadiness' })[0]?.message).toMatch(/retired/);
    expect(errorsOf({ ...validInput(), cloud: 'AzureChinaCloud' })[0]?.message).toMatch(
      /supports only AzurePublicCloud and AzureUSGovernmentCloud/,
    );
  });

  it('reports every invalid field together, cross-field rules included', () => {
    const errors = errorsOf({
      ticketId: ' ',
      requestedBy: '',
      service: 'Nope',
      action: 'import',
      tenantId: TENANT_ID,
      tenantName: 'not a domain',
      cloud: 'AzureChinaCloud',
      serverApp: {
        displayName: 'x'.repeat(200),
        appIdUri: 'api://0b0b0b0b-0000-4000-8000-000000000000/ConfigMgrService',
        homePageUrl: 'ftp://x',
        secretValidityYears: 0,
      },
      clientApp: { displayName: '\u0007' },
      callbackUrl: 'http://x',
      extra: true,
    });
    const fields = new Set(errors.map((e) => e.field));
    expect([...fields].sort()).toEqual(
      [
        '/ticketId',
        '/requestedBy',
        '/service',
        '/tenantName',
        '/cloud',
        '/serverApp/displayName',
        '/serverApp/appIdUri',
        '/serverApp/homePageUrl',
        '/serverApp/secretValidityYears',
        '/serverApp/appId',
        '/clientApp/displayName',
        '/clientApp/appId',
        '/callbackUrl',
        '/extra',
      ].sort(),
    );
  });

  it('refuses a body that is not an object', () => {
    expect(errorsOf(null)).toEqual([
      { field: '', message: 'The request body must be a JSON object', code: 'INVALID_TYPE' },
    ]);
    expect(errorsOf([])[0]?.code).toBe('INVALID_TYPE');
  });

  it('escapes JSON pointers', () => {
    expect(jsonPointer(['a/b', 'c~d', 0])).toBe('/a~1b/c~0d/0');
    expect(jsonPointer([])).toBe('');
  });
});

describe('JSON Schema for the OpenAPI document', () => {
  const schema = registrationRequestJsonSchema() as {
    properties: Record<string, { properties?: Record<string, Record<string, unknown>> } & Record<string, unknown>>;
    required: string[];
    additionalProperties: boolean;
  };

  it('lists the required fields and refuses unknown ones', () => {
    expect(schema.required.sort()).toEqual(
      ['ticketId', 'requestedBy', 'service', 'action', 'tenantId', 'tenantName', 'cloud', 'serverApp'].sort(),
    );
    expect(schema.additionalProperties).toBe(false);
  });

  it('documents enums, defaults and limits', () => {
    expect(schema.properties.service?.enum).toEqual([
      'CloudManagement',
      'LogAnalyticsConnector',
      'MicrosoftStoreForBusiness',
    ]);
    expect(schema.properties.cloud?.enum).toEqual(['AzurePublicCloud', 'AzureUSGovernmentCloud']);
    expect(schema.properties.action?.enum).toEqual(['create', 'import']);
    const server = schema.properties.serverApp?.properties ?? {};
    expect(server.homePageUrl?.default).toBe('https://ConfigMgrService');
    expect(server.secretValidityYears).toMatchObject({ default: 1, enum: [1, 2] });
    expect(server.displayName).toMatchObject({ minLength: 1, maxLength: 120 });
    expect(schema.properties.ticketId).toMatchObject({ minLength: 1, maxLength: 128 });
  });

  it('carries the App ID URI pattern, which matches both seed forms and not the legacy default', () => {
    const pattern = new RegExp(String(schema.properties.serverApp?.properties?.appIdUri?.pattern));
    expect(pattern.test(`api://${TENANT_ID}/ConfigMgrService`)).toBe(true);
    expect(pattern.test('https://contoso.onmicrosoft.com/ConfigMgrService')).toBe(true);
    expect(pattern.test('https://ConfigMgrService')).toBe(false);
  });
});

describe('idempotency', () => {
  it('canonical JSON sorts keys recursively and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('the same ticket and body, in any key order or with defaults spelled out, is the same request', () => {
    const a = parseOk(validInput());
    const input = validInput();
    const reordered = Object.fromEntries(Object.entries(input).reverse());
    const b = parseOk({ ...reordered, serverApp: { secretValidityYears: 1, ...(input.serverApp as object) } });
    expect(Object.keys(reordered)[0]).toBe('clientApp');
    expect(canonicalRequest(a)).toBe(canonicalRequest(b));
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
    expect(requestFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyDecision(requestFingerprint(a), b)).toBe('replay');
    expect(assertIdempotent(requestFingerprint(a), b)).toBe('replay');
  });

  it('a different body under the same ticket is a conflict (409)', () => {
    const a = parseOk(validInput());
    const b = parseOk(withServer({ secretValidityYears: 2 }));
    expect(idempotencyDecision(requestFingerprint(a), b)).toBe('conflict');
    expect(() => assertIdempotent(requestFingerprint(a), b)).toThrow(IdempotencyConflictError);
  });

  it('a ticket seen for the first time is new', () => {
    expect(idempotencyDecision(undefined, validRequest())).toBe('new');
  });
});

describe('acceptRegistrationRequest', () => {
  it('returns the normalized request', () => {
    expect(acceptRegistrationRequest(validInput())).toEqual(validRequest());
  });

  it('throws 400 with every invalid field', () => {
    try {
      acceptRegistrationRequest({ ...validInput(), tenantId: 'x', cloud: 'AzureChinaCloud' });
      throw new Error('expected a throw');
    } catch (e) {
      expect(e).toBeInstanceOf(RequestValidationError);
      expect((e as RequestValidationError).status).toBe(400);
      expect((e as RequestValidationError).errors?.map((x) => x.field)).toEqual(['/tenantId', '/cloud']);
    }
  });

  it('throws 422 with every broken service rule', () => {
    const input = { ...validInput(), service: 'LogAnalyticsConnector' };
    try {
      acceptRegistrationRequest(input);
      throw new Error('expected a throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ServiceRuleViolationError);
      expect((e as ServiceRuleViolationError).status).toBe(422);
      expect((e as ServiceRuleViolationError).errors?.map((x) => x.code)).toEqual([
        'SERVICE_ACTION_NOT_SUPPORTED',
        'SERVICE_NATIVE_APP_NOT_SUPPORTED',
      ]);
    }
  });
});
