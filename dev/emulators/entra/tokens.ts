import { randomBytes, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  errors as joseErrors,
  type JWK,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import type { Directory, JsonObject } from '../directory';

/** Claims of an app-only access token, as Entra issues them for the client credentials grant. */
export interface AccessTokenClaims extends JWTPayload {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  oid: string;
  sub: string;
  appid: string;
  azp: string;
  appidacr: '1' | '2';
  azpacr: '1' | '2';
  idtyp: 'app';
  roles?: string[];
  ver: '2.0';
  uti: string;
}

export type TokenFailure = 'empty' | 'malformed' | 'signature' | 'issuer' | 'audience' | 'expired' | 'notYetValid';

export class TokenValidationError extends Error {
  constructor(
    readonly reason: TokenFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface IssueInput {
  tenantId: string;
  audience: string;
  clientId: string;
  servicePrincipalId: string;
  roles: string[];
  /** 1 = client secret, 2 = certificate (client assertion) */
  credentialType: '1' | '2';
}

const ALG = 'RS256';

/**
 * Signs and verifies the emulator's access tokens with one RSA key. The key lives in the shared directory so a
 * snapshot restores tokens that still verify. The issuer is `{authority}/{tenantId}/v2.0`, as published in the
 * tenant's openid-configuration.
 */
export class TokenIssuer {
  private constructor(
    private readonly privateKey: KeyLike,
    private readonly publicKey: KeyLike,
    readonly publicJwk: JWK,
    readonly kid: string,
    private readonly authority: () => string,
    readonly lifetimeSeconds: number,
    private readonly clock: () => number,
  ) {}

  static async create(directory: Directory, authority: () => string, lifetimeSeconds = 3599): Promise<TokenIssuer> {
    let privateJwk = directory.signingKey as JWK | undefined;
    if (!privateJwk) {
      const pair = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
      privateJwk = await exportJWK(pair.privateKey);
      directory.signingKey = privateJwk as unknown as JsonObject;
    }
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = privateJwk;
    const kid = await calculateJwkThumbprint(publicPart);
    const privateKey = (await importJWK({ ...privateJwk, alg: ALG }, ALG)) as KeyLike;
    const publicKey = (await importJWK({ ...publicPart, alg: ALG }, ALG)) as KeyLike;
    const publicJwk: JWK = { kty: 'RSA', use: 'sig', kid, n: publicPart.n, e: publicPart.e, alg: ALG };
    return new TokenIssuer(privateKey, publicKey, publicJwk, kid, authority, lifetimeSeconds, () => directory.now());
  }

  issuerFor(tenantId: string): string {
    return `${this.authority()}/${tenantId}/v2.0`;
  }

  /** The JSON Web Key Set served at `/{tenant}/discovery/v2.0/keys`. */
  jwks(tenantId?: string): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk, ...(tenantId ? { issuer: this.issuerFor(tenantId) } : {}) }] };
  }

  async issue(input: IssueInput): Promise<{ token: string; claims: AccessTokenClaims }> {
    const now = Math.floor(this.clock() / 1000);
    const iss = this.issuerFor(input.tenantId);
    const claims: AccessTokenClaims = {
      aud: input.audience,
      iss,
      iat: now,
      nbf: now,
      exp: now + this.lifetimeSeconds,
      aio: randomBytes(42).toString('base64'),
      appid: input.clientId,
      appidacr: input.credentialType,
      azp: input.clientId,
      azpacr: input.credentialType,
      idp: iss,
      idtyp: 'app',
      oid: input.servicePrincipalId,
      rh: `0.${randomBytes(24).toString('base64url')}.`,
      ...(input.roles.length ? { roles: [...input.roles] } : {}),
      sub: input.servicePrincipalId,
      tid: input.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '2.0',
      xms_ftd: randomUUID(),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ typ: 'JWT', alg: ALG, kid: this.kid })
      .sign(this.privateKey);
    return { token, claims };
  }

  /**
   * Verifies a bearer token: signature, issuer (one of the emulator's tenants), expiry and, when given, that
   * `aud` is one of `audiences`. Throws TokenValidationError naming the first check that failed.
   */
  async verify(token: string, audiences?: readonly string[]): Promise<AccessTokenClaims> {
    if (!token) throw new TokenValidationError('empty', 'Access token is empty.');
    let claims: JWTPayload;
    try {
      decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw new TokenValidationError('malformed', 'CompactToken parsing failed with error code: 80049217');
    }
    const tid = typeof claims.tid === 'string' ? claims.tid : '';
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALG],
        issuer: this.issuerFor(tid),
        currentDate: new Date(this.clock()),
        clockTolerance: 0,
      });
      claims = payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new TokenValidationError('expired', 'Lifetime validation failed, the token is expired.');
      }
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf') {
        throw new TokenValidationError('notYetValid', 'Lifetime validation failed, the token is not yet valid.');
      }
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'iss') {
        throw new TokenValidationError('issuer', 'Access token validation failure. Invalid issuer.');
      }
      throw new TokenValidationError('signature', 'Access token validation failure.');
    }
    if (audiences) {
      const aud = claims.aud;
      const list = Array.isArray(aud) ? aud : typeof aud === 'string' ? [aud] : [];
      const wanted = audiences.map((a) => a.toLowerCase().replace(/\/+$/, ''));
      if (!list.some((a) => wanted.includes(a.toLowerCase().replace(/\/+$/, '')))) {
        throw new TokenValidationError('audience', 'Access token validation failure. Invalid audience.');
      }
    }
    return claims as AccessTokenClaims;
  }
}
