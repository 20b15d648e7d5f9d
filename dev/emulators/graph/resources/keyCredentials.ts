import { createHash, X509Certificate } from 'node:crypto';
import { isoDate, newGuid, type JsonObject } from '../../directory';
import { Errors } from '../errors';

const TYPES = ['AsymmetricX509Cert', 'X509CertAndPassword', 'Symmetric'];
const USAGES = ['Verify', 'Sign'];

/**
 * Completes `keyCredentials` written through PATCH/POST as Entra does: a certificate (`key`, base64 DER) gets
 * its keyId, thumbprint (`customKeyIdentifier`), subject as displayName and validity dates; an entry without
 * `key` but with the keyId of an existing credential keeps that credential (reads never return `key`, so this is
 * how a caller keeps the certificates it does not change).
 */
export function normaliseKeyCredentials(value: unknown, previous: unknown): JsonObject[] {
  const before = Array.isArray(previous) ? (previous as JsonObject[]) : [];
  const list = Array.isArray(value) ? (value as JsonObject[]) : [];
  return list.map((entry) => {
    const key = typeof entry.key === 'string' && entry.key ? entry.key : undefined;
    if (!key) {
      const kept = before.find((b) => typeof entry.keyId === 'string' && b.keyId === entry.keyId);
      if (!kept) throw Errors.invalidValue('keyCredentials', 'Application');
      return kept;
    }
    if (!TYPES.includes(String(entry.type)) || !USAGES.includes(String(entry.usage))) {
      throw Errors.invalidValue('keyCredentials', 'Application');
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(key, 'base64'));
    } catch {
      throw Errors.invalidValue('keyCredentials', 'Application');
    }
    const der = Buffer.from(key, 'base64');
    return {
      customKeyIdentifier: entry.customKeyIdentifier ?? createHash('sha1').update(der).digest('base64'),
      displayName:
        entry.displayName ??
        cert.subject
          .split('\n')
          .map((s) => s.trim())
          .join(', '),
      endDateTime: entry.endDateTime ?? isoDate(Date.parse(cert.validTo)),
      key,
      keyId: entry.keyId ?? newGuid(),
      startDateTime: entry.startDateTime ?? isoDate(Date.parse(cert.validFrom)),
      type: entry.type,
      usage: entry.usage,
    };
  });
}
