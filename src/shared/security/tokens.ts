import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { once } from '../lazy';
import { AuthenticationError, type CallerIdentity } from './roles';

/*
 * jose loads when the first verifier is made (the first protected HTTP call), not with the module: every HTTP
 * function file reaches this module through src/shared/http/api.ts, and a queue worker loads those files too.
 */
type Jose = typeof import('jose');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
const loadJose = once(() => require('jose') as Jose);

/**
 * Verifies a caller's Entra access token with `jose`: RS256 signature through the home tenant's JWKS (keys cached
 * and refreshed by jose), issuer (v2 `{authority}/{tenant}/v2.0` or v1 `https://sts.windows.net/{tenant}/`),
 * audience (the API app's client id or App ID URI), expiry/not-before (60 s skew), and `tid` = the home tenant.
 */
export interface TokenVerifierOptions {
  /** e.g. https://login.microsoftonline.com (the local stack: the Entra emulator). */
  authorityHost: string;
  /** Callers are in the provisioner's home tenant. */
  tenantId: string;
  audiences: readonly string[];
  /** For tests: a key set instead of the remote JWKS. */
  keys?: JWTVerifyGetKey;
  clockToleranceSeconds?: number;
}

export type TokenVerifier = (token: string) => Promise<CallerIdentity>;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const authority = options.authorityHost.replace(/\/+$/, '');
  const tenant = options.tenantId.toLowerCase();
  const { createRemoteJWKSet, errors: joseErrors, jwtVerify } = loadJose();
  const keys =
    options.keys ??
    createRemoteJWKSet(new URL(`${authority}/${tenant}/discovery/v2.0/keys`), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
  const issuers = [`${authority}/${tenant}/v2.0`, `https://sts.windows.net/${tenant}/`];
  const audiences = options.audiences.map((a) => a.replace(/\/+$/, ''));
  return async (token) => {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) || token.length > 16_384) {
      throw new AuthenticationError('The bearer token is not a JWT.');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ['RS256'],
        issuer: issuers,
        audience: audiences,
        clockTolerance: options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp', 'iat', 'tid', 'oid'],
      }));
    } catch (err) {
      throw new AuthenticationError(describe(err, joseErrors), err);
    }
    const tid = typeof payload.tid === 'string' ? payload.tid.toLowerCase() : '';
    if (tid !== tenant) throw new AuthenticationError('The token was issued for another tenant.');
    const oid = typeof payload.oid === 'string' ? payload.oid : '';
    if (!oid) throw new AuthenticationError('The token has no object id.');
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
    const appId = str(payload.appid) ?? str(payload.azp);
    const name = str(payload.name) ?? str(payload.preferred_username) ?? str(payload.upn);
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
    return {
      kind: 'entraToken',
      id: oid,
      tenantId: tid,
      ...(appId ? { appId } : {}),
      ...(name ? { name } : {}),
      roles: [...new Set(roles)],
    };
  };
}

function describe(err: unknown, joseErrors: Jose['errors']): string {
  if (err instanceof joseErrors.JWTExpired) return 'The token has expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `The token's '${err.claim}' claim is not accepted.`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey) {
    return 'The token signature is not valid.';
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'The token algorithm is not accepted.';
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JOSEError) return 'The token is not valid.';
  return 'The token could not be validated.';
}
