import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Optional per-caller ITSM request signatures, the same scheme the service uses for its callbacks:
 * `x-cm-itsm-signature: sha256=<hex HMAC-SHA256(key, "{timestamp}.{body}")>` with `x-cm-itsm-timestamp` (Unix
 * seconds). A signature outside the replay window (±5 minutes) or not matching is refused; the comparison is
 * constant-time.
 */
export const ITSM_SIGNATURE_HEADER = 'x-cm-itsm-signature';
export const ITSM_TIMESTAMP_HEADER = 'x-cm-itsm-timestamp';
export const REPLAY_WINDOW_SECONDS = 300;

export type SignatureCheck =
  { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch'; message: string };

export function signItsmRequest(key: string | Buffer, timestamp: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export function verifyItsmSignature(input: {
  key: string | Buffer;
  timestamp: string | null;
  signature: string | null;
  body: string | Buffer;
  nowMs: number;
  windowSeconds?: number;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) {
    return { ok: false, reason: 'missing', message: `Send ${ITSM_TIMESTAMP_HEADER} and ${ITSM_SIGNATURE_HEADER}.` };
  }
  if (!/^\d{1,12}$/.test(timestamp) || !/^sha256=[0-9a-f]{64}$/i.test(signature)) {
    return {
      ok: false,
      reason: 'malformed',
      message: `${ITSM_TIMESTAMP_HEADER} must be Unix seconds and ${ITSM_SIGNATURE_HEADER} sha256=<64 hex digits>.`,
    };
  }
  const window = input.windowSeconds ?? REPLAY_WINDOW_SECONDS;
  if (Math.abs(Math.floor(input.nowMs / 1000) - Number(timestamp)) > window) {
    return { ok: false, reason: 'stale', message: `The signature's timestamp is outside the ${window}-second window.` };
  }
  const expected = Buffer.from(signItsmRequest(input.key, timestamp, input.body).slice(7), 'hex');
  const given = Buffer.from(signature.slice(7), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'mismatch', message: 'The request signature does not match.' };
  }
  return { ok: true };
}
