import { createHmac, randomBytes } from 'node:crypto';
import type { SecretStore } from '../adapters/keyvault/secretStore';
import type { ProvisioningDeps } from './ports';
import { getRegistration } from './requests';
import { registrationView } from './view';

export const SIGNATURE_HEADER = 'x-cm-provisioner-signature';
export const TIMESTAMP_HEADER = 'x-cm-provisioner-timestamp';

/** `sha256=` + hex HMAC-SHA256 over `{timestamp}.{body}` — what a receiver recomputes to trust a callback. */
export function signCallback(key: Buffer, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

let signingKey: Promise<Buffer> | undefined;

/** The HMAC key lives in Key Vault; it is made on first use. */
function callbackSigningKey(secrets: SecretStore, name: string): Promise<Buffer> {
  signingKey ??= (async () => {
    const existing = await secrets.readOwnValue(name);
    if (existing) return Buffer.from(existing, 'base64');
    const key = randomBytes(32);
    await secrets.put(name, key.toString('base64'), {
      contentType: 'application/octet-stream',
      expiresOn: new Date(Date.UTC(9999, 0, 1)),
      tags: { managedBy: 'cm-entra-provisioner', purpose: 'callback-signing' },
    });
    return key;
  })().catch((err: unknown) => {
    signingKey = undefined;
    throw err;
  });
  return signingKey;
}

/** What a signed POST needs: the vault with the signing key, its name, and the clock. */
export interface SignedPostDeps {
  secrets: SecretStore;
  callbackSigningSecretName: string;
  now(): Date;
}

/**
 * POSTs a JSON body (never a secret) signed with the service's key: `x-cm-provisioner-timestamp` and
 * `x-cm-provisioner-signature: sha256=HMAC(key, "{timestamp}.{body}")`, plus a delivery id receivers dedupe on.
 * Throws on any failure so the queue retries it. Used by request callbacks and secret expiry notifications.
 */
export async function postSigned(deps: SignedPostDeps, url: string, body: string, deliveryId: string): Promise<void> {
  const timestamp = String(Math.floor(deps.now().getTime() / 1000));
  const key = await callbackSigningKey(deps.secrets, deps.callbackSigningSecretName);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: signCallback(key, timestamp, body),
      'x-cm-provisioner-delivery': deliveryId,
    },
    body,
    redirect: 'error',
    signal: AbortSignal.timeout(15_000),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`callback to ${new URL(url).host} answered ${res.status}`);
}

/**
 * Posts a finished request's final status (never a secret) to its callbackUrl, signed. Throws on any failure so
 * the queue retries it.
 */
export async function deliverCallback(
  deps: ProvisioningDeps & { callbackSigningSecretName: string; apiBase: string },
  requestId: string,
): Promise<'sent' | 'nothing-to-send'> {
  const record = await getRegistration(deps, requestId);
  const url = record.request.callbackUrl;
  const state = record.pipeline.state;
  if (!url || (state !== 'Succeeded' && state !== 'Failed')) return 'nothing-to-send';
  const { history: _h, ...view } = registrationView(record, deps.apiBase);
  const body = JSON.stringify({ event: `registration.${state.toLowerCase()}`, registration: view });
  await postSigned(deps, url, body, `${requestId}:${state}`);
  return 'sent';
}
