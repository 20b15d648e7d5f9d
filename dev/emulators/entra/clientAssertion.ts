import { X509Certificate, createHash } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, errors as joseErrors } from 'jose';
import type { EntityRecord, JsonObject } from '../directory';

/** Entra tolerates five minutes of clock skew on assertion times. */
const CLOCK_SKEW_SECONDS = 300;

export type AssertionResult =
  | { ok: true }
  | { ok: false; reason: 'noKey'; thumbprint: string }
  | { ok: false; reason: 'expired' }
  | { ok: false; reason: 'audience'; audience: string }
  | { ok: false; reason: 'invalid'; detail: string };

function thumbprints(certDerBase64: string): { sha1: string; sha256: string; cert: X509Certificate } | undefined {
  try {
    const der = Buffer.from(certDerBase64, 'base64');
    const cert = new X509Certificate(der);
    return {
      sha1: createHash('sha1').update(der).digest('base64url'),
      sha256: createHash('sha256').update(der).digest('base64url'),
      cert,
    };
  } catch {
    return undefined;
  }
}

/**
 * Verifies a `client_assertion` (RFC 7523 JWT) against the certificates in the application's `keyCredentials`
 * (type AsymmetricX509Cert, `key` = base64 DER), matched on the `x5t` or `x5t#S256` header as Entra does.
 * `iss` and `sub` must be the client id, `aud` one of the tenant's token endpoints.
 */
export async function verifyClientAssertion(
  assertion: string,
  application: EntityRecord,
  clientId: string,
  acceptedAudiences: string[],
  now: number,
): Promise<AssertionResult> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    return { ok: false, reason: 'invalid', detail: 'The client assertion is not a well-formed JWT.' };
  }
  const wanted = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : header.x5t;
  const useSha256 = typeof header['x5t#S256'] === 'string';
  if (typeof wanted !== 'string') {
    return { ok: false, reason: 'invalid', detail: "The client assertion has no 'x5t' header." };
  }
  const creds = Array.isArray(application.data.keyCredentials) ? (application.data.keyCredentials as JsonObject[]) : [];
  const match = creds
    .filter((c) => typeof c.key === 'string' && c.usage !== 'Sign')
    .map((c) => thumbprints(c.key as string))
    .find((t) => t && (useSha256 ? t.sha256 : t.sha1) === wanted);
  if (!match) {
    return { ok: false, reason: 'noKey', thumbprint: Buffer.from(wanted, 'base64url').toString('hex').toUpperCase() };
  }
  try {
    await jwtVerify(assertion, match.cert.publicKey, {
      algorithms: ['RS256', 'PS256'],
      issuer: clientId,
      subject: clientId,
      currentDate: new Date(now),
      clockTolerance: CLOCK_SKEW_SECONDS,
    });
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'invalid', detail: err instanceof Error ? err.message : String(err) };
  }
  const { payload } = await jwtVerify(assertion, match.cert.publicKey, {
    currentDate: new Date(now),
    clockTolerance: CLOCK_SKEW_SECONDS,
  });
  const aud = typeof payload.aud === 'string' ? payload.aud : (payload.aud?.[0] ?? '');
  const norm = (s: string): string => s.toLowerCase().replace(/\/+$/, '');
  if (!acceptedAudiences.map(norm).includes(norm(aud))) return { ok: false, reason: 'audience', audience: aud };
  return { ok: true };
}
