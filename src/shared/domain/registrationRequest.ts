/**
 * The intake contract of `POST /api/registrations`: a zod schema (also rendered as JSON Schema for the OpenAPI
 * document), a parser that reports every invalid field at once as `{field, message, code}` (field = JSON pointer),
 * normalization (defaults, lower-cased ids), and the canonical form and fingerprint used for idempotency.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  APP_ID_URI_CODES,
  APP_ID_URI_PATTERN_SOURCE,
  DOMAIN_NAME_PATTERN,
  checkAppIdUriTenant,
  parseAppIdUri,
} from './appIdUri';
import { CLOUDS, CONFIGMGR_CLOUD_NAMES, isCloudName, type ConfigMgrCloudName } from './clouds';
import {
  IdempotencyConflictError,
  RequestValidationError,
  ServiceRuleViolationError,
  type ProblemItem,
} from './errors';
import { GUID_PATTERN } from './naming';
import {
  ACTIONS,
  SERVICE_CATALOG,
  SERVICE_NAMES,
  checkServiceRules,
  type Action,
  type ServiceName,
  type ServiceRuleContext,
} from './serviceCatalog';

/** The wizard's default HomePage URL (seeds 001/002); Configuration Manager doesn't use it, Entra requires one. */
export const DEFAULT_HOME_PAGE_URL = 'https://ConfigMgrService';
/** Secret key validity period: 1 year (default) or 2 years (seeds 001/002); "Never" is no longer supported. */
export const SECRET_VALIDITY_YEARS = [1, 2] as const;
export type SecretValidityYears = (typeof SECRET_VALIDITY_YEARS)[number];
export const DEFAULT_SECRET_VALIDITY_YEARS: SecretValidityYears = 1;

export const DISPLAY_NAME_MAX = 120;
export const TICKET_ID_MAX = 128;
export const REQUESTED_BY_MAX = 256;

export const FIELD_CODES = {
  REQUIRED: 'REQUIRED',
  INVALID_TYPE: 'INVALID_TYPE',
  TOO_SHORT: 'TOO_SHORT',
  TOO_LONG: 'TOO_LONG',
  INVALID_VALUE: 'INVALID_VALUE',
  INVALID_GUID: 'INVALID_GUID',
  INVALID_FORMAT: 'INVALID_FORMAT',
  HTTPS_URL_REQUIRED: 'HTTPS_URL_REQUIRED',
  URL_CREDENTIALS: 'URL_CREDENTIALS_NOT_ALLOWED',
  CONTROL_CHARACTERS: 'CONTROL_CHARACTERS',
  TICKET_ID_NOT_PRINTABLE: 'TICKET_ID_NOT_PRINTABLE',
  TENANT_NAME_FORMAT: 'TENANT_NAME_FORMAT',
  UNKNOWN_FIELD: 'UNKNOWN_FIELD',
  REQUIRED_FOR_IMPORT: 'REQUIRED_FOR_IMPORT',
  NOT_ALLOWED_FOR_CREATE: 'NOT_ALLOWED_FOR_CREATE',
  ...APP_ID_URI_CODES,
} as const;

export type FieldError = ProblemItem & { readonly field: string };

function isControlCode(c: number): boolean {
  return c <= 0x1f || (c >= 0x7f && c <= 0x9f);
}

/** Whether a string holds a C0 or C1 control character (Unicode category Cc). */
export function hasControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (isControlCode(value.charCodeAt(i))) return true;
  return false;
}

/** Replaces control characters and the Unicode line/paragraph separators, e.g. before writing a one-line comment. */
export function replaceLineBreakingCharacters(value: string, replacement = '?'): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    out += isControlCode(c) || c === 0x2028 || c === 0x2029 ? replacement : value[i];
  }
  return out;
}

/** Printable ASCII, no leading or trailing space. */
const TICKET_ID_PATTERN = /^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/;

function code(c: string) {
  return { params: { code: c } };
}

function text(max: number, what: string) {
  return z
    .string()
    .refine((v) => !hasControlCharacters(v), {
      message: `${what} must not contain control characters`,
      ...code(FIELD_CODES.CONTROL_CHARACTERS),
    })
    .trim()
    .min(1, { error: `${what} must be 1–${max} characters` })
    .max(max, { error: `${what} must be 1–${max} characters` })
    .meta({ pattern: String.raw`^[^\u0000-\u001F\u007F-\u009F]*$` });
}

const displayName = text(DISPLAY_NAME_MAX, 'The display name').meta({ examples: ['CMG-ServerApp'] });

const guid = (what: string) =>
  z
    .string()
    .regex(GUID_PATTERN, { error: `${what} must be a GUID` })
    .meta({ format: 'uuid' });

const httpsUrl = (what: string) =>
  z
    .url({ protocol: /^https$/, error: `${what} must be an absolute https:// URL` })
    .refine((v) => !/^https:\/\/[^/?#]*@/i.test(v), {
      message: `${what} must not contain credentials`,
      ...code(FIELD_CODES.URL_CREDENTIALS),
    })
    .max(2048, { error: `${what} must be at most 2048 characters` });

const appIdUri = z
  .string()
  .max(1024, { error: 'The App ID URI must be at most 1024 characters' })
  .superRefine((v, ctx) => {
    const parsed = parseAppIdUri(v);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message, params: { code: parsed.code } });
  })
  .meta({
    pattern: APP_ID_URI_PATTERN_SOURCE,
    description:
      'App ID URI of the server app, in one of the two recommended forms: api://{tenantId}/{string} (tenantId must be ' +
      "this request's tenantId) or https://{verified domain of the tenant}/{string}. The old default " +
      'https://ConfigMgrService is refused.',
    examples: ['api://5e97358c-d99c-4558-af0c-de7774091dda/ConfigMgrService'],
  });

const serviceNames = SERVICE_NAMES.join(', ');
const cloudNames = CONFIGMGR_CLOUD_NAMES.join(' and ');

export const registrationRequestSchema = z
  .strictObject({
    ticketId: z
      .string()
      .min(1, { error: `ticketId must be 1–${TICKET_ID_MAX} characters` })
      .max(TICKET_ID_MAX, { error: `ticketId must be 1–${TICKET_ID_MAX} characters` })
      .refine((v) => TICKET_ID_PATTERN.test(v), {
        message: 'ticketId must be printable ASCII without leading or trailing spaces',
        ...code(FIELD_CODES.TICKET_ID_NOT_PRINTABLE),
      })
      .meta({
        pattern: TICKET_ID_PATTERN.source,
        description: 'The ITSM ticket id; the idempotency key of the request.',
        examples: ['CHG0031337'],
      }),
    requestedBy: text(REQUESTED_BY_MAX, 'requestedBy').meta({
      description: 'Who asked for the registration (UPN or name), for the audit trail.',
    }),
    service: z.enum(SERVICE_NAMES, {
      error: (issue) =>
        issue.input === 'UpgradeReadiness'
          ? `UpgradeReadiness is retired (2018 service table only); service must be one of ${serviceNames}`
          : `service must be one of ${serviceNames}`,
    }),
    action: z.enum(ACTIONS, { error: `action must be one of ${ACTIONS.join(', ')}` }),
    tenantId: guid('tenantId').meta({ description: 'The Microsoft Entra tenant id (GUID).' }),
    tenantName: z
      .string()
      .trim()
      .toLowerCase()
      .regex(DOMAIN_NAME_PATTERN, {
        error:
          "tenantName must be the tenant's domain name as listed under Custom domain names, e.g. contoso.onmicrosoft.com",
      })
      .meta({
        description:
          "The Microsoft Entra tenant name: the tenant's domain as listed under Microsoft Entra ID > Custom domain " +
          'names, e.g. contoso.onmicrosoft.com (Configuration Manager\'s "Microsoft Entra tenant Name").',
        examples: ['contoso.onmicrosoft.com'],
      }),
    cloud: z.enum(CONFIGMGR_CLOUD_NAMES, {
      error: (issue) =>
        typeof issue.input === 'string' && isCloudName(issue.input)
          ? `Configuration Manager supports only ${cloudNames}; ${CLOUDS[issue.input].description} isn't offered`
          : `cloud must be one of ${cloudNames}`,
    }),
    serverApp: z.strictObject({
      displayName,
      appIdUri,
      homePageUrl: httpsUrl('homePageUrl')
        .default(DEFAULT_HOME_PAGE_URL)
        .meta({ description: 'HomePage URL; unused by Configuration Manager but required by Microsoft Entra ID.' }),
      secretValidityYears: z
        .literal(SECRET_VALIDITY_YEARS, {
          error: 'secretValidityYears must be 1 or 2 (Microsoft Entra no longer supports secrets that never expire)',
        })
        .default(DEFAULT_SECRET_VALIDITY_YEARS),
      userDiscovery: z
        .boolean({ error: 'userDiscovery must be true or false' })
        .optional()
        .meta({
          description:
            'Enable Microsoft Entra user discovery (Graph Directory.Read.All on the server app). ' +
            'Default: true for CloudManagement, false for the other services.',
        }),
      appId: guid('serverApp.appId')
        .optional()
        .meta({ description: 'import only: the Application (client) ID of the existing web (server) app.' }),
    }),
    clientApp: z
      .strictObject({
        displayName: displayName.meta({ examples: ['CMG-ClientApp'] }),
        appId: guid('clientApp.appId')
          .optional()
          .meta({ description: 'import only: the Application (client) ID of the existing native (client) app.' }),
      })
      .optional()
      .meta({ description: 'The native (client) app; required by CloudManagement, not used by the other services.' }),
    callbackUrl: httpsUrl('callbackUrl').optional().meta({ description: 'https URL notified when the request ends.' }),
  })
  .meta({ title: 'RegistrationRequest' });

export type RegistrationRequestInput = z.input<typeof registrationRequestSchema>;

/** The normalized request: defaults applied, GUIDs and the tenant name lower-cased, display names trimmed. */
export interface RegistrationRequest {
  readonly ticketId: string;
  readonly requestedBy: string;
  readonly service: ServiceName;
  readonly action: Action;
  readonly tenantId: string;
  readonly tenantName: string;
  readonly cloud: ConfigMgrCloudName;
  readonly serverApp: {
    readonly displayName: string;
    readonly appIdUri: string;
    readonly homePageUrl: string;
    readonly secretValidityYears: SecretValidityYears;
    readonly userDiscovery: boolean;
    readonly appId?: string;
  };
  readonly clientApp?: { readonly displayName: string; readonly appId?: string };
  readonly callbackUrl?: string;
}

export type ParseResult =
  | { readonly ok: true; readonly value: RegistrationRequest }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** RFC 6901 JSON pointer of a path. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function issueCode(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return FIELD_CODES.INVALID_TYPE;
    case 'too_small':
      return FIELD_CODES.TOO_SHORT;
    case 'too_big':
      return FIELD_CODES.TOO_LONG;
    case 'invalid_value':
    case 'invalid_union':
      return FIELD_CODES.INVALID_VALUE;
    case 'invalid_format':
      if (issue.format === 'url') return FIELD_CODES.HTTPS_URL_REQUIRED;
      if (issue.path.at(-1) === 'tenantName') return FIELD_CODES.TENANT_NAME_FORMAT;
      if (issue.pattern === GUID_PATTERN.toString()) return FIELD_CODES.INVALID_GUID;
      return FIELD_CODES.INVALID_FORMAT;
    case 'custom': {
      const c = (issue.params as { code?: unknown } | undefined)?.code;
      return typeof c === 'string' ? c : FIELD_CODES.INVALID_FORMAT;
    }
    default:
      return FIELD_CODES.INVALID_FORMAT;
  }
}

function toFieldErrors(issues: readonly z.core.$ZodIssue[], input: unknown): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          field: jsonPointer([...issue.path, key]),
          message: `Unknown field '${key}'`,
          code: FIELD_CODES.UNKNOWN_FIELD,
        });
      }
      continue;
    }
    const field = jsonPointer(issue.path);
    if (issue.path.length === 0 && issue.code === 'invalid_type') {
      out.push({ field, message: 'The request body must be a JSON object', code: FIELD_CODES.INVALID_TYPE });
    } else if (issue.path.length > 0 && valueAt(input, issue.path) === undefined) {
      out.push({ field, message: `${issue.path.map(String).join('.')} is required`, code: FIELD_CODES.REQUIRED });
    } else {
      out.push({ field, message: issue.message, code: issueCode(issue) });
    }
  }
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Rules across fields, checked on the raw input independently of other fields' validity so that one parse reports
 * every problem: the api:// App ID URI must name this request's tenant, and appIds belong to import only.
 */
function crossFieldErrors(input: unknown): FieldError[] {
  const out: FieldError[] = [];
  const tenantId = str(valueAt(input, ['tenantId']));
  const uri = str(valueAt(input, ['serverApp', 'appIdUri']));
  if (tenantId !== undefined && GUID_PATTERN.test(tenantId) && uri !== undefined) {
    const e = checkAppIdUriTenant(uri, tenantId);
    if (e?.field !== undefined) out.push({ ...e, field: e.field });
  }
  const action = valueAt(input, ['action']);
  const client = valueAt(input, ['clientApp']);
  const hasClient = client !== undefined && client !== null && typeof client === 'object';
  const appIdFields: [string, readonly string[]][] = [['serverApp', ['serverApp', 'appId']]];
  if (hasClient) appIdFields.push(['clientApp', ['clientApp', 'appId']]);
  for (const [app, path] of appIdFields) {
    const present = valueAt(input, path) !== undefined;
    if (action === 'import' && !present) {
      out.push({
        field: jsonPointer(path),
        message: `${app}.appId (the existing app's Application (client) ID) is required to import an app`,
        code: FIELD_CODES.REQUIRED_FOR_IMPORT,
      });
    } else if (action === 'create' && present) {
      out.push({
        field: jsonPointer(path),
        message: `${app}.appId must not be given when the app is created (Microsoft Entra assigns it)`,
        code: FIELD_CODES.NOT_ALLOWED_FOR_CREATE,
      });
    }
  }
  return out;
}

type ParsedShape = z.output<typeof registrationRequestSchema>;

function normalize(p: ParsedShape): RegistrationRequest {
  const serverApp: RegistrationRequest['serverApp'] = {
    displayName: p.serverApp.displayName,
    appIdUri: p.serverApp.appIdUri,
    homePageUrl: p.serverApp.homePageUrl,
    secretValidityYears: p.serverApp.secretValidityYears,
    userDiscovery: p.serverApp.userDiscovery ?? SERVICE_CATALOG[p.service].userDiscovery,
    ...(p.serverApp.appId === undefined ? {} : { appId: p.serverApp.appId.toLowerCase() }),
  };
  return {
    ticketId: p.ticketId,
    requestedBy: p.requestedBy,
    service: p.service,
    action: p.action,
    tenantId: p.tenantId.toLowerCase(),
    tenantName: p.tenantName,
    cloud: p.cloud,
    serverApp,
    ...(p.clientApp === undefined
      ? {}
      : {
          clientApp: {
            displayName: p.clientApp.displayName,
            ...(p.clientApp.appId === undefined ? {} : { appId: p.clientApp.appId.toLowerCase() }),
          },
        }),
    ...(p.callbackUrl === undefined ? {} : { callbackUrl: p.callbackUrl }),
  };
}

/**
 * Parses a request body. On success, the normalized request; otherwise every invalid field, each once per problem.
 * Service-table rules (422) are separate: see checkServiceRules.
 */
export function parseRegistrationRequest(input: unknown): ParseResult {
  const result = registrationRequestSchema.safeParse(input);
  const errors = [...(result.success ? [] : toFieldErrors(result.error.issues, input)), ...crossFieldErrors(input)];
  if (errors.length > 0 || !result.success) return { ok: false, errors };
  return { ok: true, value: normalize(result.data) };
}

/**
 * Intake in one call: the normalized request, or RequestValidationError (400, every invalid field) or
 * ServiceRuleViolationError (422, every broken service rule).
 */
export function acceptRegistrationRequest(input: unknown, context: ServiceRuleContext = {}): RegistrationRequest {
  const parsed = parseRegistrationRequest(input);
  if (!parsed.ok) throw new RequestValidationError(parsed.errors);
  const violations = checkServiceRules(parsed.value, context);
  if (violations.length > 0) throw new ServiceRuleViolationError(violations);
  return parsed.value;
}

/** JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of the request body as clients send it. */
export function registrationRequestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(registrationRequestSchema, { io: 'input' });
}

/** JSON with object keys sorted recursively and undefined members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** The canonical form of a normalized request: what two submissions must share to be "the same request". */
export function canonicalRequest(request: RegistrationRequest): string {
  return canonicalJson(request);
}

/** sha256 (hex) of the canonical form. */
export function requestFingerprint(request: RegistrationRequest): string {
  return createHash('sha256').update(canonicalRequest(request), 'utf8').digest('hex');
}

export type IdempotencyDecision = 'new' | 'replay' | 'conflict';

/**
 * Compares a submission with what is stored for its ticket: nothing stored → new; same fingerprint → replay
 * (answer with the existing request); different → conflict (409).
 */
export function idempotencyDecision(
  storedFingerprint: string | undefined,
  request: RegistrationRequest,
): IdempotencyDecision {
  if (storedFingerprint === undefined) return 'new';
  return storedFingerprint === requestFingerprint(request) ? 'replay' : 'conflict';
}

/** Throws IdempotencyConflictError (409) on a conflict; returns 'new' or 'replay' otherwise. */
export function assertIdempotent(
  storedFingerprint: string | undefined,
  request: RegistrationRequest,
): Exclude<IdempotencyDecision, 'conflict'> {
  const d = idempotencyDecision(storedFingerprint, request);
  if (d === 'conflict') throw new IdempotencyConflictError(request.ticketId);
  return d;
}
