import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, listen, readBody, sendJson } from '../common/http';
import {
  Directory,
  GRAPH_RESOURCE_IDS,
  isReplicated,
  MICROSOFT_GRAPH_APP_ID,
  type TenantDirectory,
  type TenantSeed,
} from '../directory';
import { verifyClientAssertion } from './clientAssertion';
import { AADSTS, aadstsError } from './errors';
import { TokenIssuer } from './tokens';

export type { TenantSeed } from '../directory';
export { TokenIssuer, TokenValidationError, type AccessTokenClaims } from './tokens';

export interface EntraEmulatorOptions {
  /** Tenants to seed (added to `directory` when one is given and it lacks them). */
  tenants?: TenantSeed[];
  /** A directory shared with the Graph emulator; a new one from `tenants` when absent. */
  directory?: Directory;
  tls: { cert: string; key: string };
  port?: number;
  host?: string;
  /** Access token lifetime (Entra: 3599 s for app tokens). */
  tokenLifetimeSeconds?: number;
}

export interface EntraCall {
  method: string;
  path: string;
  status: number;
  start: string;
  end: string;
  tenant?: string;
  clientId?: string;
  error?: string;
}

export interface EntraEmulator {
  /** The authority host, `https://127.0.0.1:PORT` (pass it as `authorityHost`). */
  url: string;
  port: number;
  directory: Directory;
  tokens: TokenIssuer;
  /** Token requests and metadata fetches seen so far, oldest first. */
  calls(): EntraCall[];
  clearCalls(): void;
  close(): Promise<void>;
}

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** The tenant-wide OpenID Connect metadata (v2.0 endpoint), endpoints resolved with the tenant id as Entra does. */
function openIdConfiguration(authority: string, tenant: TenantDirectory, issuer: string): Record<string, unknown> {
  const base = `${authority}/${tenant.id}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** The v1.0 endpoint's metadata (`/{tenant}/.well-known/openid-configuration`). */
function openIdConfigurationV1(authority: string, tenant: TenantDirectory, issuer: string): Record<string, unknown> {
  const base = `${authority}/${tenant.id}`;
  return {
    ...openIdConfiguration(authority, tenant, issuer),
    token_endpoint: `${base}/oauth2/token`,
    jwks_uri: `${authority}/common/discovery/keys`,
    authorization_endpoint: `${base}/oauth2/authorize`,
    end_session_endpoint: `${base}/oauth2/logout`,
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Starts the Entra (login) emulator: OpenID metadata, signing keys and the token endpoint (client credentials
 * with a client secret or a certificate assertion) for the seeded tenants, over HTTPS.
 */
export async function startEntraEmulator(options: EntraEmulatorOptions): Promise<EntraEmulator> {
  const directory = options.directory ?? Directory.fromSeeds(options.tenants ?? []);
  if (options.directory) {
    for (const seed of options.tenants ?? []) {
      if (!directory.tenants.has(seed.tenantId.toLowerCase())) directory.addTenant(seed);
    }
  }
  const log: EntraCall[] = [];
  let authority = '';
  const tokens = await TokenIssuer.create(directory, () => authority, options.tokenLifetimeSeconds);

  async function tokenRequest(
    req: IncomingMessage,
    tenantName: string,
    version: 'v1' | 'v2',
    call: EntraCall,
  ): Promise<unknown> {
    const correlationId = header(req, 'client-request-id');
    const ctx = { authority, correlationId, now: directory.now() };
    const tenant = directory.resolveTenant(tenantName);
    if (!tenant) throw aadstsError(400, 'invalid_request', 90002, AADSTS.tenantNotFound(tenantName), ctx);
    call.tenant = tenant.id;
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    let clientId = form.get('client_id') ?? '';
    let clientSecret = form.get('client_secret');
    const basic = header(req, 'authorization');
    if (basic?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(basic.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) {
        clientId ||= decodeURIComponent(decoded.slice(0, i));
        clientSecret ??= decodeURIComponent(decoded.slice(i + 1));
      }
    }
    call.clientId = clientId || undefined;
    const grant = form.get('grant_type') ?? '';
    if (!grant) throw aadstsError(400, 'invalid_request', 900144, AADSTS.missingParameter('grant_type'), ctx);
    if (grant !== 'client_credentials') {
      throw aadstsError(400, 'unsupported_grant_type', 70003, AADSTS.unsupportedGrantType(grant), ctx);
    }
    if (!clientId) throw aadstsError(400, 'invalid_request', 900144, AADSTS.missingParameter('client_id'), ctx);

    // resource: v2 takes `scope` ({resource}/.default), v1 takes `resource`
    let resource: string;
    if (version === 'v2') {
      const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s && !OIDC_SCOPES.has(s));
      const scope = scopes[0];
      if (!scope) throw aadstsError(400, 'invalid_request', 900144, AADSTS.missingParameter('scope'), ctx);
      if (!scope.endsWith('/.default')) {
        throw aadstsError(400, 'invalid_scope', 1002012, AADSTS.scopeNotDefault(scope), ctx);
      }
      resource = scope.slice(0, -'/.default'.length);
    } else {
      resource = form.get('resource') ?? '';
      if (!resource) throw aadstsError(400, 'invalid_request', 900144, AADSTS.missingParameter('resource'), ctx);
    }

    const now = directory.now();
    // the token service sees objects only once Graph's replication lag has passed
    const replicated = <T extends { replicatedAtMs?: number }>(r: T | undefined): T | undefined =>
      r && isReplicated(r, now) ? r : undefined;
    const application = replicated(tenant.applicationByAppId(clientId));
    if (!application) {
      throw aadstsError(400, 'unauthorized_client', 700016, AADSTS.unknownClient(clientId, tenant.displayName), ctx);
    }
    const assertion = form.get('client_assertion');
    let credentialType: '1' | '2' = '1';
    if (assertion) {
      if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) {
        throw aadstsError(400, 'invalid_request', 900144, AADSTS.missingParameter('client_assertion_type'), ctx);
      }
      credentialType = '2';
      const endpoints = [tenantName, tenant.id, ...tenant.domains].flatMap((t) => [
        `${authority}/${t}/oauth2/v2.0/token`,
        `${authority}/${t}/oauth2/token`,
      ]);
      const result = await verifyClientAssertion(assertion, application, clientId, endpoints, directory.now());
      if (!result.ok) {
        switch (result.reason) {
          case 'noKey':
            throw aadstsError(
              401,
              'invalid_client',
              700027,
              AADSTS.certificateNotRegistered(result.thumbprint, clientId),
              ctx,
            );
          case 'expired':
            throw aadstsError(401, 'invalid_client', 700024, AADSTS.assertionExpired(), ctx);
          case 'audience':
            throw aadstsError(401, 'invalid_client', 700021, AADSTS.assertionAudience(result.audience), ctx);
          case 'invalid':
            throw aadstsError(401, 'invalid_client', 700027, AADSTS.invalidAssertion(result.detail), ctx);
        }
      }
    } else if (!clientSecret) {
      throw aadstsError(401, 'invalid_client', 7000218, AADSTS.missingCredential(), ctx);
    }
    const sp = replicated(tenant.servicePrincipalByAppId(clientId));
    if (!sp) {
      throw aadstsError(400, 'invalid_client', 7000229, AADSTS.missingServicePrincipal(clientId, tenant.id), ctx);
    }
    if (sp.data.accountEnabled === false) {
      const name = typeof sp.data.displayName === 'string' ? sp.data.displayName : clientId;
      throw aadstsError(400, 'unauthorized_client', 7000112, AADSTS.disabledApplication(clientId, name), ctx);
    }
    if (!assertion) {
      const auth = directory.authenticateClientSecret(tenant, clientId, clientSecret ?? '');
      if (!auth.ok) {
        if (auth.reason === 'expiredSecret') {
          throw aadstsError(401, 'invalid_client', 7000222, AADSTS.expiredSecret(clientId), ctx);
        }
        throw aadstsError(401, 'invalid_client', 7000215, AADSTS.invalidSecret(clientId), ctx);
      }
    }

    const isGraph = GRAPH_RESOURCE_IDS.some((g) => g.toLowerCase() === resource.toLowerCase().replace(/\/+$/, ''));
    const resourceSp = isGraph
      ? tenant.servicePrincipalByAppId(MICROSOFT_GRAPH_APP_ID)
      : tenant.servicePrincipalForResource(resource);
    if (!resourceSp) {
      throw aadstsError(400, 'invalid_resource', 500011, AADSTS.resourceNotFound(resource, tenant.displayName), ctx);
    }
    const issuer = tokens;
    const { token, claims } = await issuer.issue({
      tenantId: tenant.id,
      audience: resource,
      clientId: String(application.data.appId),
      servicePrincipalId: String(sp.data.id),
      roles: tenant.grantedRoleValues(String(sp.data.id), resourceSp),
      credentialType,
    });
    if (version === 'v1') {
      return {
        token_type: 'Bearer',
        expires_in: String(issuer.lifetimeSeconds),
        ext_expires_in: String(issuer.lifetimeSeconds),
        expires_on: String(claims.exp),
        not_before: String(claims.nbf),
        resource,
        access_token: token,
      };
    }
    return {
      token_type: 'Bearer',
      expires_in: issuer.lifetimeSeconds,
      ext_expires_in: issuer.lifetimeSeconds,
      access_token: token,
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse, call: EntraCall): Promise<void> {
    const url = new URL(req.url ?? '/', authority);
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (segments[0] === '_emulator') {
      if (segments[1] === 'health') return sendJson(res, 200, { status: 'ok' });
      if (segments[1] === 'calls' && method === 'GET') return sendJson(res, 200, { value: log });
      if (segments[1] === 'calls' && method === 'DELETE') {
        log.length = 0;
        return sendJson(res, 204, undefined);
      }
      if (segments[1] === 'tenants' && method === 'GET') {
        return sendJson(res, 200, {
          value: [...directory.tenants.values()].map((t) => ({
            id: t.id,
            displayName: t.displayName,
            domains: t.domains,
          })),
        });
      }
      throw new HttpError(404, { error: 'not_found' });
    }
    const [tenantName = '', ...rest] = segments;
    const sub = rest.join('/');
    const ctx = { authority, correlationId: header(req, 'client-request-id'), now: directory.now() };
    const issuer = tokens;
    if (
      method === 'GET' &&
      (sub === 'v2.0/.well-known/openid-configuration' || sub === '.well-known/openid-configuration')
    ) {
      const tenant = directory.resolveTenant(tenantName);
      if (!tenant) throw aadstsError(400, 'invalid_tenant', 90002, AADSTS.tenantNotFound(tenantName), ctx);
      call.tenant = tenant.id;
      const doc =
        sub === '.well-known/openid-configuration'
          ? openIdConfigurationV1(authority, tenant, `${authority}/${tenant.id}/`)
          : openIdConfiguration(authority, tenant, issuer.issuerFor(tenant.id));
      return sendJson(res, 200, doc, { 'cache-control': 'max-age=86400, private' });
    }
    if (method === 'GET' && (sub === 'discovery/v2.0/keys' || sub === 'discovery/keys')) {
      const common = ['common', 'organizations', 'consumers'].includes(tenantName.toLowerCase());
      const tenant = common ? undefined : directory.resolveTenant(tenantName);
      if (!common && !tenant) throw aadstsError(400, 'invalid_tenant', 90002, AADSTS.tenantNotFound(tenantName), ctx);
      return sendJson(res, 200, issuer.jwks(sub === 'discovery/v2.0/keys' ? tenant?.id : undefined), {
        'cache-control': 'max-age=86400, private',
      });
    }
    if (sub === 'oauth2/v2.0/token' || sub === 'oauth2/token') {
      if (method !== 'POST') {
        throw aadstsError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.', ctx);
      }
      const body = await tokenRequest(req, tenantName, sub === 'oauth2/token' ? 'v1' : 'v2', call);
      return sendJson(res, 200, body, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
    }
    throw new HttpError(404, { error: 'not_found', error_description: `No route for ${method} ${url.pathname}` });
  }

  const server = await listen(
    (req, res) => {
      const started = new Date();
      const call: EntraCall = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        status: 0,
        start: started.toISOString(),
        end: '',
      };
      const finish = (status: number, error?: string): void => {
        call.status = status;
        call.end = new Date().toISOString();
        if (error) call.error = error;
        if (!call.path.startsWith('/_emulator')) log.push(call);
      };
      route(req, res, call)
        .then(() => finish(res.statusCode))
        .catch((err: unknown) => {
          if (err instanceof HttpError) {
            sendJson(res, err.status, err.body, { 'cache-control': 'no-store, no-cache', ...err.headers });
            const body = err.body as { error?: string; error_codes?: number[] };
            finish(err.status, body.error_codes ? `AADSTS${body.error_codes[0]}` : body.error);
          } else {
            sendJson(res, 500, { error: 'server_error', error_description: String(err) });
            finish(500, 'server_error');
          }
        });
    },
    { port: options.port, host: options.host, name: 'Entra emulator', tls: options.tls },
  );
  authority = server.url;
  return {
    url: server.url,
    port: server.port,
    directory,
    tokens,
    calls: () => [...log],
    clearCalls: () => {
      log.length = 0;
    },
    close: () => server.close(),
  };
}
