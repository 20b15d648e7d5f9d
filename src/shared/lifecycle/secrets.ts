import { randomUUID } from 'node:crypto';
import {
  DomainError,
  dueNotification,
  expiryBucket,
  getCloud,
  governingCredential,
  initialSecretState,
  isRenewalDue,
  previousRemovable,
  secretAction,
  secretState,
  withHistory,
  type ManagedSecretState,
  type SecretState,
} from '../domain';
import type { RegistrationRecord } from '../adapters/tables/registrationStore';
import { getRegistration, RegistrationNotFoundError } from '../provisioning/requests';
import { GraphRequestError } from '../adapters/graph/errors';
import { ImportNotOwnerError } from '../provisioning/importSteps';
import { toStepError } from '../provisioning/runStep';
import { addManagedCredential, retireManagedCredential } from '../provisioning/serverCredential';
import type { Logger } from '../provisioning/ports';
import type { LifecycleDeps, NotificationMessage, RenewalMessage } from './ports';

export class SecretNotTrackedError extends DomainError {
  constructor(id: string, why: string) {
    super({
      code: 'SECRET_NOT_TRACKED',
      status: 409,
      title: 'The registration has no managed secret',
      detail: `Registration '${id}' has no managed server-app secret: ${why}`,
    });
  }
}

export class RenewalAwaitingConfirmationError extends DomainError {
  constructor(id: string) {
    super({
      code: 'RENEWAL_AWAITING_CONFIRMATION',
      status: 409,
      title: 'A renewed secret awaits confirmation',
      detail:
        `Registration '${id}' already has a renewed secret that Configuration Manager has not been confirmed to use; ` +
        `an app never has more than two managed secrets. Update Configuration Manager, then POST ` +
        `/api/registrations/${id}/secret/confirm; renew again after that.`,
    });
  }
}

export class RenewalInProgressError extends DomainError {
  constructor(id: string, until: string) {
    super({
      code: 'RENEWAL_IN_PROGRESS',
      status: 409,
      title: 'A renewal is in progress',
      detail: `Another worker is renewing the secret of registration '${id}' (lease until ${until}); try again later.`,
    });
  }
}

/**
 * The lifecycle state of a record's secret: stored on the row once the lifecycle touched it, else derived from the
 * provisioning ledger (the serverSecret step's outputs). Undefined when there is no managed secret (yet).
 */
export function trackedSecret(record: RegistrationRecord, now: Date): ManagedSecretState | undefined {
  if (record.decommission) return undefined;
  if (record.secret) return record.secret;
  const steps = record.pipeline.steps;
  const secret = steps.serverSecret.status === 'Succeeded' ? steps.serverSecret.outputs : undefined;
  const server = steps.serverApp.outputs;
  const objectId = server?.objectId ?? secret?.serverObjectId;
  const appId = server?.appId ?? secret?.serverAppId;
  if (!secret?.keyId || !secret.expiresOn || !secret.keyVaultSecretId || !objectId || !appId) return undefined;
  return initialSecretState({
    serverObjectId: objectId,
    serverAppId: appId,
    keyId: secret.keyId,
    expiresOn: secret.expiresOn,
    keyVaultSecretId: secret.keyVaultSecretId,
    now,
  });
}

function requireTracked(record: RegistrationRecord, now: Date): ManagedSecretState {
  const s = trackedSecret(record, now);
  if (!s) {
    throw new SecretNotTrackedError(
      record.requestId,
      record.decommission ? 'it was decommissioned.' : 'its secret step has not succeeded.',
    );
  }
  return s;
}

export interface SecretView {
  registrationId: string;
  ticketId: string;
  tenantId: string;
  service: string;
  serverAppId: string;
  state: SecretState;
  /** Expiry of the secret Configuration Manager uses. */
  expiresOn: string;
  daysLeft: number;
  action: string;
  current: { keyId: string; expiresOn: string; keyVaultSecretId: string };
  previous?: { keyId: string; expiresOn: string; confirmedAt?: string };
  lastError?: { code: string; message: string; at: string };
}

/** What the API shows for a managed secret: its state, expiry and what to do (never the value). */
export function secretView(
  record: RegistrationRecord,
  s: ManagedSecretState,
  now: Date,
  renewBefore: number,
): SecretView {
  const state = secretState(s, now, renewBefore);
  const governing = governingCredential(s);
  return {
    registrationId: record.requestId,
    ticketId: record.ticketId,
    tenantId: record.request.tenantId,
    service: record.request.service,
    serverAppId: s.serverAppId,
    state,
    expiresOn: governing.expiresOn,
    daysLeft: Math.ceil((Date.parse(governing.expiresOn) - now.getTime()) / 86_400_000),
    action: secretAction(state, record.requestId),
    current: { keyId: s.current.keyId, expiresOn: s.current.expiresOn, keyVaultSecretId: s.current.keyVaultSecretId },
    ...(s.previous
      ? {
          previous: {
            keyId: s.previous.keyId,
            expiresOn: s.previous.expiresOn,
            ...(s.previous.confirmedAt ? { confirmedAt: s.previous.confirmedAt } : {}),
          },
        }
      : {}),
    ...(s.lastError ? { lastError: s.lastError } : {}),
  };
}

/** Keeps the expiry index in step with the row: the governing credential's day, and nothing else listed. */
async function syncIndex(
  deps: LifecycleDeps,
  requestId: string,
  s: ManagedSecretState | undefined,
  seen: readonly string[],
): Promise<void> {
  const governing = s ? governingCredential(s) : undefined;
  const bucket = governing ? expiryBucket(governing.expiresOn) : undefined;
  if (governing && bucket) await deps.expiryIndex.put({ bucket, requestId, expiresOn: governing.expiresOn });
  await Promise.all(seen.filter((b) => b !== bucket).map((b) => deps.expiryIndex.remove(b, requestId)));
}

/**
 * Renews a request's secret: a new credential (the request's validity), a new Key Vault version, a history entry;
 * the old credential stays live as `previous` until Configuration Manager is confirmed updated or it expires.
 * Without `force` only a due secret is renewed. At most one renewal runs at a time (a lease on the row), and a
 * renewal never starts while a previous credential is still live — so an app never has more than two managed
 * credentials, and a repeated or crashed renewal renews once (the shared credential rules adopt what a dead worker
 * stored and remove what it did not).
 */
export async function renewSecret(
  deps: LifecycleDeps,
  id: string,
  options: { force: boolean },
): Promise<{ renewed: boolean; reason?: string; record: RegistrationRecord }> {
  const requestId = (await getRegistration(deps, id)).requestId;
  const owner = randomUUID();
  let skip: string | undefined;
  const claimed = await deps.store.update(requestId, (rec) => {
    skip = undefined;
    const now = deps.now();
    const s = requireTracked(rec, now);
    if (s.previous) {
      if (options.force) throw new RenewalAwaitingConfirmationError(requestId);
      return ((skip = 'awaiting confirmation'), undefined);
    }
    if (s.lease && Date.parse(s.lease.until) > now.getTime()) {
      if (options.force) throw new RenewalInProgressError(requestId, s.lease.until);
      return ((skip = 'leased'), undefined);
    }
    if (!options.force && !isRenewalDue(s, now, deps.renewBeforeDays)) return ((skip = 'not due'), undefined);
    const lease = { owner, until: new Date(now.getTime() + deps.stepLeaseMs).toISOString() };
    return { ...rec, secret: { ...s, lease }, updatedAt: now.toISOString() };
  });
  if (!claimed) throw new RegistrationNotFoundError(id);
  if (skip) return { renewed: false, reason: skip, record: claimed.record };

  const rec = claimed.record;
  const s = rec.secret!;
  const graph = deps.graphFor(rec.request.tenantId, getCloud(rec.request.cloud));
  let stored: Awaited<ReturnType<typeof addManagedCredential>>;
  try {
    const app = await graph.requireApplicationById(s.serverObjectId);
    stored = await addManagedCredential({
      graph,
      secrets: deps.secrets,
      requestId,
      tenantId: rec.request.tenantId,
      serverAppId: s.serverAppId,
      app,
      validityYears: rec.request.serverApp.secretValidityYears,
      now: deps.now(),
      keep: s.current.keyId,
    });
  } catch (caught) {
    const err =
      caught instanceof GraphRequestError && caught.kind === 'forbidden'
        ? new ImportNotOwnerError(
            s.serverAppId,
            s.serverObjectId,
            requestId,
            caught,
            `POST /api/registrations/${requestId}/secret/renew`,
          )
        : caught;
    const e = toStepError(err);
    await deps.store.update(requestId, (r) => {
      if (r.secret?.lease?.owner !== owner) return undefined;
      const at = deps.now().toISOString();
      const { lease: _l, ...rest } = r.secret;
      const next = withHistory(
        { ...rest, lastError: { code: e.code, message: e.message, at } },
        { at, event: 'renewalFailed', detail: `${e.code}: ${e.message}` },
      );
      return { ...r, secret: next, updatedAt: at };
    });
    throw err;
  }

  const saved = await deps.store.update(requestId, (r) => {
    if (r.secret?.lease?.owner !== owner) return undefined;
    const at = deps.now().toISOString();
    const { lease: _l, lastError: _e, ...rest } = r.secret;
    const next = withHistory(
      {
        ...rest,
        previous: r.secret.current,
        current: {
          keyId: stored.keyId,
          expiresOn: stored.expiresOn,
          keyVaultSecretId: stored.keyVaultSecretId,
          createdAt: at,
        },
      },
      { at, event: 'renewed', keyId: stored.keyId, detail: `replaces ${r.secret.current.keyId}` },
    );
    return { ...r, secret: next, updatedAt: at };
  });
  if (!saved?.record.secret || saved.record.secret.current.keyId !== stored.keyId) {
    // The lease was lost to another worker, which adopts this credential from Key Vault.
    return { renewed: false, reason: 'lease lost', record: saved?.record ?? rec };
  }
  await syncIndex(deps, requestId, saved.record.secret, []);
  return { renewed: true, record: saved.record };
}

/**
 * Removes the previous credential once it may go (confirmed replaced, or expired): removed from the app, its Key
 * Vault version disabled, then forgotten in the row. Each part is idempotent, so a crash in between is repaired by
 * the next run.
 */
async function removePrevious(deps: LifecycleDeps, rec: RegistrationRecord): Promise<RegistrationRecord> {
  const s = rec.secret;
  const p = s?.previous;
  if (!s || !p) return rec;
  await retireManagedCredential({
    graph: deps.graphFor(rec.request.tenantId, getCloud(rec.request.cloud)),
    secrets: deps.secrets,
    serverObjectId: s.serverObjectId,
    keyId: p.keyId,
    keyVaultSecretId: p.keyVaultSecretId,
  });
  const saved = await deps.store.update(rec.requestId, (r) => {
    if (r.secret?.previous?.keyId !== p.keyId) return undefined;
    const at = deps.now().toISOString();
    const { previous: _p, ...rest } = r.secret;
    const next = withHistory(
      { ...rest, notified: rest.notified.filter((m) => !m.startsWith(`${p.keyId}:`)) },
      { at, event: 'previousRemoved', keyId: p.keyId, detail: p.confirmedAt ? 'confirmed replaced' : 'expired' },
    );
    return { ...r, secret: next, updatedAt: at };
  });
  return saved?.record ?? rec;
}

/**
 * The admin confirms Configuration Manager now uses the renewed secret: the previous credential is removed.
 * Repeating it is harmless; with nothing awaiting confirmation it changes nothing.
 */
export async function confirmSecret(deps: LifecycleDeps, id: string): Promise<SecretView> {
  const requestId = (await getRegistration(deps, id)).requestId;
  const saved = await deps.store.update(requestId, (rec) => {
    const now = deps.now();
    const s = requireTracked(rec, now);
    if (!s.previous || s.previous.confirmedAt) return undefined;
    const at = now.toISOString();
    const next = withHistory(
      { ...s, previous: { ...s.previous, confirmedAt: at } },
      { at, event: 'confirmed', keyId: s.current.keyId, detail: `Configuration Manager uses ${s.current.keyId}` },
    );
    return { ...rec, secret: next, updatedAt: at };
  });
  if (!saved) throw new RegistrationNotFoundError(id);
  const before = saved.record.secret?.previous;
  const rec = await removePrevious(deps, saved.record);
  const s = requireTracked(rec, deps.now());
  await syncIndex(deps, requestId, s, before ? [expiryBucket(before.expiresOn)] : []);
  return secretView(rec, s, deps.now(), deps.renewBeforeDays);
}

export async function getSecret(deps: LifecycleDeps, id: string): Promise<SecretView> {
  const rec = await getRegistration(deps, id);
  return secretView(rec, requireTracked(rec, deps.now()), deps.now(), deps.renewBeforeDays);
}

/** Queues the expiry notification due now (once per threshold and credential), then records it as sent. */
async function notifyIfDue(deps: LifecycleDeps, rec: RegistrationRecord): Promise<RegistrationRecord> {
  const now = deps.now();
  const s = trackedSecret(rec, now);
  const due = s ? dueNotification(s, now) : undefined;
  if (!s || !due) return rec;
  const targets: NotificationMessage['target'][] = [];
  if (rec.request.callbackUrl) targets.push('callback');
  if (deps.notificationWebhookUrl) targets.push('webhook');
  // Sent first, recorded after: a crash in between sends again (receivers dedupe on the delivery id header).
  await Promise.all(
    targets.map((target) =>
      deps.notifications.send({ requestId: rec.requestId, keyId: due.keyId, threshold: due.threshold, target }),
    ),
  );
  const saved = await deps.store.update(rec.requestId, (r) => {
    const cur = trackedSecret(r, deps.now());
    if (!cur || cur.notified.includes(due.mark)) return undefined;
    const at = deps.now().toISOString();
    const next = withHistory(
      { ...cur, notified: [...new Set([...cur.notified, ...due.skip, due.mark])] },
      {
        at,
        event: 'notified',
        keyId: due.keyId,
        detail: `${due.threshold === 0 ? 'expired' : `${due.threshold} days`} → ${targets.join(', ') || 'no target configured'}`,
      },
    );
    return { ...r, secret: next, updatedAt: at };
  });
  return saved?.record ?? rec;
}

export type ProcessOutcome = 'untracked' | 'processed';

/**
 * The renewal queue's use case, for one managed secret: remove a previous credential that may go, renew when due,
 * send the expiry notification due now, and keep the expiry index in step. Idempotent: a duplicate message, or
 * the sweep firing twice, does nothing more. Throws (for the queue to retry) when Graph, Key Vault or storage fail.
 */
export async function processSecret(
  deps: LifecycleDeps,
  message: RenewalMessage,
  log: Logger,
): Promise<{ outcome: ProcessOutcome; renewed: boolean; state?: SecretState }> {
  const found = await deps.store.get(message.requestId);
  let rec = found?.record;
  const s0 = rec ? trackedSecret(rec, deps.now()) : undefined;
  if (!rec || !s0) {
    if (!rec || rec.decommission) await syncIndex(deps, message.requestId, undefined, message.buckets ?? []);
    return { outcome: 'untracked', renewed: false };
  }
  if (previousRemovable(s0, deps.now())) {
    // An unconfirmed credential that expired gets its "expired" notification before it is removed.
    rec = await notifyIfDue(deps, rec);
    rec = await removePrevious(deps, { ...rec, secret: trackedSecret(rec, deps.now())! });
  }
  let renewed = false;
  let failure: Error | undefined;
  const s1 = trackedSecret(rec, deps.now())!;
  if (!s1.previous && isRenewalDue(s1, deps.now(), deps.renewBeforeDays)) {
    try {
      const result = await renewSecret(deps, rec.requestId, { force: false });
      renewed = result.renewed;
      rec = result.record;
      if (renewed) log.info(`secret of ${rec.requestId} renewed`);
    } catch (err) {
      // A renewal that fails must not silence the warnings: notify, then throw for the queue to retry.
      failure = err instanceof Error ? err : new Error(String(err));
      log.warn(`renewal of ${rec.requestId} failed: ${err instanceof Error ? err.message : String(err)}`);
      rec = (await deps.store.get(rec.requestId))?.record ?? rec;
    }
  }
  rec = await notifyIfDue(deps, rec);
  const s = trackedSecret(rec, deps.now())!;
  await syncIndex(deps, rec.requestId, s, message.buckets ?? []);
  if (failure !== undefined) throw failure;
  return { outcome: 'processed', renewed, state: secretState(s, deps.now(), deps.renewBeforeDays) };
}
