import https from 'node:https';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { HttpError } from '../common/http';
import { ACCEPTED_AUDIENCES, AuthMessages, unauthorized } from './errors';

/** Who called, from a validated token. */
export interface Principal {
  tid: string;
  iss: string;
  oid?: string;
  /** `appid` (v1 tokens) or `azp` (v2 tokens). */
  appid?: string;
}

export interface TokenValidatorOptions {
  /** Entra (emulator) base URL, e.g. `https://127.0.0.1:8444`. */
  authority: string;
  /** The vault's tenant: only its tokens are accepted. */
  tenantId: string;
  /** Extra CA (PEM) to trust when fetching metadata and keys; NODE_EXTRA_CA_CERTS is enough normally. */
  ca?: string;
  /** Allowed clock skew for exp/nbf (the service allows a few minutes). */
  clockToleranceSeconds?: number;
  now?: () => number;
}

interface TenantMetadata {
  /** Issuers a token of this tenant may carry (v2 configuration, plus v1 when the authority serves one). */
  issuers: string[];
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

const OpenIdConfiguration = z.object({ issuer: z.string().min(1), jwks_uri: z.string().url() });
/** Tenant ids and domain names: nothing that could change the metadata path. */
const SAFE_TENANT = /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/;
const MAX_TENANTS = 64;

/**
 * Validates Key Vault bearer tokens the way the service does: RS256 signature against the issuing tenant's
 * published keys (fetched over HTTPS from the authority and cached), issuer from that tenant's OpenID
 * configuration, audience `https://vault.azure.net` (or the US Government resource, or Key Vault's app id),
 * lifetime, and the vault's own tenant. Every failure is a 401 with the challenge header.
 */
export class TokenValidator {
  readonly #authority: string;
  readonly #tenantId: string;
  readonly #agent: https.Agent | undefined;
  readonly #tolerance: number;
  readonly #now: () => number;
  readonly #tenants = new Map<string, Promise<TenantMetadata>>();

  constructor(options: TokenValidatorOptions) {
    this.#authority = options.authority.replace(/\/+$/, '');
    this.#tenantId = options.tenantId;
    this.#agent = options.ca ? new https.Agent({ ca: options.ca }) : undefined;
    this.#tolerance = options.clockToleranceSeconds ?? 300;
    this.#now = options.now ?? Date.now;
  }

  #fail(message: string): HttpError {
    return unauthorized(message, this.#authority, this.#tenantId);
  }

  async validate(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (!token) throw this.#fail(AuthMessages.missingToken);

    let claims: JWTPayload;
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
      claims = decodeJwt(token);
    } catch {
      throw this.#fail(AuthMessages.malformed('the token is not a well-formed JWT.'));
    }
    if (alg !== 'RS256')
      throw this.#fail(AuthMessages.malformed(`the signing algorithm '${alg ?? ''}' is not accepted.`));
    const tid = claims['tid'];
    if (typeof tid !== 'string' || !SAFE_TENANT.test(tid)) {
      throw this.#fail(AuthMessages.malformed('the token has no valid tid claim.'));
    }

    const encodedHeader = token.split('.')[0] ?? '';
    let metadata: TenantMetadata;
    try {
      metadata = await this.#metadata(tid);
    } catch {
      // The issuing tenant publishes no keys here: the same answer the service gives for an unknown signer.
      throw this.#fail(AuthMessages.unknownSigningKey(encodedHeader));
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, metadata.jwks, {
        algorithms: ['RS256'],
        clockTolerance: this.#tolerance,
        currentDate: new Date(this.#now()),
      }));
    } catch (err) {
      throw this.#fail(verificationMessage(err, encodedHeader));
    }

    const iss = typeof payload.iss === 'string' ? payload.iss : '';
    const audiences = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.some((a) => ACCEPTED_AUDIENCES.includes(a))) {
      throw this.#fail(AuthMessages.invalidAudience(audiences.join(', ')));
    }
    if (!metadata.issuers.includes(iss) || tid.toLowerCase() !== this.#tenantId.toLowerCase()) {
      const expected = await this.#metadata(this.#tenantId).then(
        (m) => m.issuers,
        () => [] as string[],
      );
      throw this.#fail(AuthMessages.invalidIssuer(expected, iss));
    }

    const principal: Principal = { tid, iss };
    if (typeof payload['oid'] === 'string') principal.oid = payload['oid'];
    const appid = payload['appid'] ?? payload['azp'];
    if (typeof appid === 'string') principal.appid = appid;
    return principal;
  }

  #metadata(tid: string): Promise<TenantMetadata> {
    const key = tid.toLowerCase();
    let pending = this.#tenants.get(key);
    if (!pending) {
      if (this.#tenants.size >= MAX_TENANTS) this.#tenants.clear();
      pending = this.#loadMetadata(tid);
      pending.catch(() => this.#tenants.delete(key));
      this.#tenants.set(key, pending);
    }
    return pending;
  }

  async #loadMetadata(tid: string): Promise<TenantMetadata> {
    const v2 = OpenIdConfiguration.parse(
      await this.#getJson(`${this.#authority}/${tid}/v2.0/.well-known/openid-configuration`),
    );
    const issuers = [v2.issuer.replace('{tenantid}', tid)];
    // A v1 configuration is optional: tokens for resources like Key Vault are v1 tokens in the real service.
    try {
      const v1 = OpenIdConfiguration.parse(
        await this.#getJson(`${this.#authority}/${tid}/.well-known/openid-configuration`),
      );
      const issuer = v1.issuer.replace('{tenantid}', tid);
      if (!issuers.includes(issuer)) issuers.push(issuer);
    } catch {
      // not served: v2 only
    }
    const jwksUrl = new URL(v2.jwks_uri);
    if (jwksUrl.origin !== new URL(this.#authority).origin) {
      throw new Error(`jwks_uri ${v2.jwks_uri} is not on the authority ${this.#authority}`);
    }
    const jwks = createRemoteJWKSet(jwksUrl, {
      ...(this.#agent ? { agent: this.#agent } : {}),
      timeoutDuration: 5_000,
      cooldownDuration: 1_000,
    });
    return { issuers, jwks };
  }

  #getJson(url: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = https.get(url, { agent: this.#agent, timeout: 5_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${url}: HTTP ${res.statusCode ?? '?'}`));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
      req.on('error', reject);
    });
  }
}

function verificationMessage(err: unknown, encodedHeader: string): string {
  if (err instanceof errors.JWSSignatureVerificationFailed) return AuthMessages.badSignature;
  if (err instanceof errors.JWTExpired) return AuthMessages.expired;
  if (err instanceof errors.JWTClaimValidationFailed) {
    return err.claim === 'nbf' ? AuthMessages.notYetValid : AuthMessages.malformed(err.message);
  }
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid || err instanceof errors.JOSENotSupported) {
    return AuthMessages.malformed(err.message);
  }
  // No key with that kid, or the key set could not be fetched.
  return AuthMessages.unknownSigningKey(encodedHeader);
}
