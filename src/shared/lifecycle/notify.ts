import { buildRenewalScript, governingCredential, secretAction, type NotificationThreshold } from '../domain';
import { postSigned } from '../provisioning/callback';
import { getRegistration } from '../provisioning/requests';
import type { LifecycleDeps, NotificationMessage } from './ports';
import { secretView, trackedSecret } from './secrets';

/**
 * Builds the body of an expiry notification: the secret's state and expiry, what to do, and — when a renewed
 * secret is waiting in Key Vault — the PowerShell that takes it into Configuration Manager. Never a secret value.
 */
export async function buildNotification(
  deps: LifecycleDeps,
  message: NotificationMessage,
): Promise<{ url: string; body: string; deliveryId: string } | undefined> {
  const rec = await getRegistration(deps, message.requestId);
  const now = deps.now();
  const s = trackedSecret(rec, now);
  const url = message.target === 'callback' ? rec.request.callbackUrl : deps.notificationWebhookUrl;
  const threshold = message.threshold as NotificationThreshold;
  // Stale: the credential was confirmed replaced since the notification was queued. An "expired" notification is
  // always delivered (the credential may have been removed at its expiry, unconfirmed).
  if (!s || !url || (governingCredential(s).keyId !== message.keyId && threshold !== 0)) return undefined;
  const view = secretView(rec, s, now, deps.renewBeforeDays);
  const self = `${deps.apiBase}/registrations/${rec.requestId}`;
  // The notification is about an older credential: the current one is the renewed secret to put in ConfigMgr.
  const renewed = message.keyId !== s.current.keyId ? s.current : undefined;
  const state = threshold === 0 ? 'expired' : view.state;
  const body = {
    event: threshold === 0 ? 'secret.expired' : 'secret.expiring',
    threshold,
    registration: {
      id: rec.requestId,
      ticketId: rec.ticketId,
      tenantId: rec.request.tenantId,
      service: rec.request.service,
      serverAppId: s.serverAppId,
      serverAppName: rec.request.serverApp.displayName,
    },
    secret: {
      state,
      expiresOn: view.expiresOn,
      daysLeft: view.daysLeft,
      keyId: message.keyId,
      ...(renewed ? { newSecret: { keyVaultSecretId: renewed.keyVaultSecretId, expiresOn: renewed.expiresOn } } : {}),
    },
    action: secretAction(state, rec.requestId),
    ...(renewed
      ? {
          powershell: buildRenewalScript({
            ticketId: rec.ticketId,
            tenantId: rec.request.tenantId,
            serverAppName: rec.request.serverApp.displayName,
            serverAppId: s.serverAppId,
            keyVaultSecretId: renewed.keyVaultSecretId,
            secretKeyExpiry: renewed.expiresOn,
            confirmUrl: `${self}/secret/confirm`,
          }),
        }
      : {}),
    links: { registration: self, confirm: `${self}/secret/confirm`, renew: `${self}/secret/renew` },
  };
  return {
    url,
    body: JSON.stringify(body),
    deliveryId: `${rec.requestId}:${message.keyId}:${threshold}:${message.target}`,
  };
}

/** The notification queue's use case: one signed POST; a failure throws so the queue retries it. */
export async function deliverSecretNotification(
  deps: LifecycleDeps,
  message: NotificationMessage,
): Promise<'sent' | 'stale'> {
  const n = await buildNotification(deps, message);
  if (!n) return 'stale';
  await postSigned(deps, n.url, n.body, n.deliveryId);
  return 'sent';
}
