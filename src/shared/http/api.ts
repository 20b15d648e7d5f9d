import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getConfig, type AppConfig } from '../config';
import { parseClientPrincipal, CLIENT_PRINCIPAL_HEADER } from '../security/principal';
import { authorize, AuthenticationError, callerLabel, type ApiRole, type CallerIdentity } from '../security/roles';
import { ITSM_SIGNATURE_HEADER, ITSM_TIMESTAMP_HEADER, verifyItsmSignature } from '../security/hmac';
import { createTokenVerifier, type TokenVerifier } from '../security/tokens';
import { runAs } from '../security/audit';
import { MAX_BODY_BYTES } from './body';
import { HttpRequestError, problemResponse } from './problem';

/**
 * The wrapper every protected HTTP function uses:
 *
 *   export const handler = apiHandler({ role: API_ROLES.read }, async (request, context, caller) => ({ ... }));
 *
 * It authenticates the caller (an Entra access token checked with jose, or — only when trusted — App Service
 * Authentication's principal header), requires the app role, checks the caller's ITSM signature when one is
 * configured for it, runs the handler, and turns every error (its own and the handler's) into problem+json.
 * No identity → 401 (with WWW-Authenticate), a missing role → 403.
 */
export interface ApiOptions {
  /** The app role the operation needs. */
  role: ApiRole;
}

export type ApiHandlerFn = (
  request: HttpRequest,
  context: InvocationContext,
  caller: CallerIdentity,
) => Promise<HttpResponseInit>;

/** What authentication needs; from the app's configuration unless a test gives its own. */
export interface ApiAuthDeps {
  verifyToken: TokenVerifier | undefined;
  trustAppServicePrincipal: boolean;
  homeTenantId: string;
  itsmSigningKeys: ReadonlyMap<string, string>;
  now: () => number;
}

let cachedDeps: ApiAuthDeps | undefined;

export function apiAuthDepsFrom(config: AppConfig): ApiAuthDeps {
  const authorityHost = config.authorityHost ?? 'https://login.microsoftonline.com';
  return {
    verifyToken: config.api.audiences.length
      ? createTokenVerifier({ authorityHost, tenantId: config.provisioner.tenantId, audiences: config.api.audiences })
      : undefined,
    trustAppServicePrincipal: config.api.trustAppServicePrincipal,
    homeTenantId: config.provisioner.tenantId.toLowerCase(),
    itsmSigningKeys: config.api.itsmSigningKeys,
    now: Date.now,
  };
}

function defaultDeps(): ApiAuthDeps {
  cachedDeps ??= apiAuthDepsFrom(getConfig());
  return cachedDeps;
}

/** Establishes who is calling; throws AuthenticationError (401) when no trustworthy identity is presented. */
export async function authenticate(
  request: HttpRequest,
  deps: ApiAuthDeps,
  context?: InvocationContext,
): Promise<CallerIdentity> {
  const principalHeader = request.headers.get(CLIENT_PRINCIPAL_HEADER);
  if (deps.trustAppServicePrincipal && principalHeader) {
    const principal = parseClientPrincipal(principalHeader);
    if (!principal) throw new AuthenticationError('The App Service Authentication principal is not valid.');
    if (principal.tenantId !== deps.homeTenantId) {
      throw new AuthenticationError('The caller belongs to another tenant.');
    }
    return principal;
  }
  const authorization = request.headers.get('authorization') ?? '';
  const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization)?.[1];
  if (!bearer) {
    throw new AuthenticationError('Send an Entra access token for this API: Authorization: Bearer <token>.');
  }
  if (!deps.verifyToken) {
    context?.warn('a bearer token was refused: API_AUDIENCE is not set, so no token is accepted');
    throw new AuthenticationError('This deployment accepts no bearer tokens.');
  }
  try {
    return await deps.verifyToken(bearer);
  } catch (err) {
    // Anything that goes wrong while validating (key set unreachable, a bug) must not let the caller in.
    if (err instanceof AuthenticationError) throw err;
    context?.warn(`token validation failed: ${err instanceof Error ? err.name : 'error'}`);
    throw new AuthenticationError('The token could not be validated.', err);
  }
}

async function readRawBody(request: HttpRequest): Promise<Buffer> {
  const tooLarge = new HttpRequestError(
    413,
    'BODY_TOO_LARGE',
    'Request body too large',
    `The body must not exceed ${MAX_BODY_BYTES} bytes.`,
  );
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const body = request.clone().body;
  if (body) {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) throw tooLarge;
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}

/** 401 for a caller that must sign (ITSM_SIGNING_KEYS) and did not, or whose signature is stale or wrong. */
async function checkSignature(request: HttpRequest, caller: CallerIdentity, deps: ApiAuthDeps): Promise<void> {
  const key = caller.appId ? deps.itsmSigningKeys.get(caller.appId.toLowerCase()) : undefined;
  if (!key) return;
  const result = verifyItsmSignature({
    key,
    timestamp: request.headers.get(ITSM_TIMESTAMP_HEADER),
    signature: request.headers.get(ITSM_SIGNATURE_HEADER),
    body: await readRawBody(request),
    nowMs: deps.now(),
  });
  if (!result.ok) {
    throw new HttpRequestError(401, 'SIGNATURE_INVALID', 'Request signature not accepted', result.message);
  }
}

/** Wraps a handler with authentication, authorization and problem+json error mapping. */
export function apiHandler(
  options: ApiOptions,
  handler: ApiHandlerFn,
  deps: () => ApiAuthDeps = defaultDeps,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const instance = safePath(request.url);
    let caller: CallerIdentity | undefined;
    try {
      const d = deps();
      caller = await authenticate(request, d, context);
      authorize(caller, options.role);
      await checkSignature(request, caller, d);
      const who = caller;
      return await runAs(who, `${request.method} ${instance}`, () => handler(request, context, who));
    } catch (err) {
      const response = problemResponse(err, context, instance);
      if (response.status === 401) {
        const hadToken = /^Bearer\s/i.test(request.headers.get('authorization') ?? '');
        return {
          ...response,
          headers: {
            ...(response.headers as Record<string, string>),
            'www-authenticate': `Bearer realm="cm-entra-provisioner"${hadToken ? ', error="invalid_token"' : ''}`,
          },
        };
      }
      if (response.status === 403 && caller) {
        context.warn(`forbidden: ${callerLabel(caller)} ${request.method} ${instance} (needs ${options.role})`);
      }
      return response;
    }
  };
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '/';
  }
}
