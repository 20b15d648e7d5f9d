import { intercept, startInProcessServices } from '../../support/inProcess';
import { cmgTicket, drain, pipelineHarness, silentLog, WorkerDied } from '../../support/pipelineHarness';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoTenants } from '../../../dev/demoTenants';
import type { RunningEmulators } from '../../../dev/emulators';
import type { GraphDirectory } from '../../../src/shared/adapters/graph/directory';
import type { RegistrationRecord } from '../../../src/shared/adapters/tables/registrationStore';
import { expiryBucket, getCloud, keyVaultSecretName } from '../../../src/shared/domain';
import { decommissionRegistration, DecommissionConfirmationError } from '../../../src/shared/lifecycle/decommission';
import { reconcileRegistration } from '../../../src/shared/lifecycle/reconcile';
import type { LifecycleDeps, NotificationMessage, RenewalMessage } from '../../../src/shared/lifecycle/ports';
import { deliverSecretNotification } from '../../../src/shared/lifecycle/notify';
import { listSecrets } from '../../../src/shared/lifecycle/report';
import {
  confirmSecret,
  processSecret,
  renewSecret,
  RenewalAwaitingConfirmationError,
} from '../../../src/shared/lifecycle/secrets';
import { sweepDueSecrets } from '../../../src/shared/lifecycle/sweep';
import { submitRegistration } from '../../../src/shared/provisioning/requests';

/**
 * The secret lifecycle through the real SDK clients against Azurite and the Entra/Graph/Key Vault emulators, with a
 * clock the test moves: provisioned secrets land in the expiry index, the sweep fans out only the due ones, renewal
 * adds first and removes later (never more than two managed credentials), survives crashes and Graph's credential
 * concurrency violations, renews once when repeated, and sends each expiry notification once, signed. Drift is
 * reported and repaired with the verify step's checks; decommission removes everything, and repeating it is harmless.
 */

const DAY = 86_400_000;
const tenantId = demoTenants()[0]!.tenantId;
const silent = silentLog;

let emulators: RunningEmulators;
let base: LifecycleDeps;
let webhook: Server;
let webhookUrl: string;
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
  let services;
  ({ emulators, services } = await startInProcessServices({
    ALLOWED_TENANT_IDS: tenantId,
    SECRET_NOTIFICATION_WEBHOOK_URL: webhookUrl,
  }));
  base = services.lifecycle;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => webhook?.close(r));
  await emulators?.close();
});

afterEach(() => {
  emulators.graph.faults.configure({ credentialConcurrencyWindowMs: 0 });
});

function harness() {
  const h = pipelineHarness(base);
  const renewals: RenewalMessage[] = [];
  const notifications: NotificationMessage[] = [];
  const deps: LifecycleDeps = {
    ...h.deps,
    renewals: { send: (m: RenewalMessage) => Promise.resolve(void renewals.push(m)) },
    notifications: { send: (m: NotificationMessage) => Promise.resolve(void notifications.push(m)) },
  };
  return { ...h, deps, renewals, notifications };
}
type Harness = ReturnType<typeof harness>;

/** Provisions a CMG registration (1-year secret: the demo tenant's app policy caps credential lifetimes). */
async function provision(h: Harness): Promise<string> {
  const ticketId = `LIFE-${randomUUID().slice(0, 8)}`;
  const { record } = await submitRegistration(
    h.deps,
    cmgTicket(ticketId, {
      serverApp: { displayName: `CMG-${ticketId}`, appIdUri: `api://${tenantId}/${ticketId}`, secretValidityYears: 1 },
      callbackUrl: 'https://itsm.contoso.com/hooks/cmg',
    }),
  );
  await drain(h);
  const rec = (await base.store.get(record.requestId))!.record;
  expect(rec.pipeline.state).toBe('Succeeded');
  return record.requestId;
}

async function record(id: string): Promise<RegistrationRecord> {
  return (await base.store.get(id))!.record;
}

/** The managed password credentials on the server app in the (emulated) tenant. */
function managedKeyIds(rec: RegistrationRecord): string[] {
  const objectId = rec.pipeline.steps.serverApp.outputs!.objectId;
  const app = emulators.graph.dump(tenantId)!.applications.find((a) => a.data.id === objectId)!;
  return ((app.data.passwordCredentials as { keyId: string; displayName: string }[]) ?? [])
    .filter((p) => p.displayName === `cm-entra-provisioner:${rec.requestId}`)
    .map((p) => p.keyId);
}

async function enabledVaultKeyIds(id: string): Promise<string[]> {
  const versions = await base.secrets.versions(keyVaultSecretName(id));
  return versions.filter((v) => v.enabled).map((v) => v.tags.credentialKeyId!);
}

/** Runs the sweep and then the queue handler for every message it sent about `ids`. */
async function sweepAndProcess(h: Harness, ids: string[]): Promise<RenewalMessage[]> {
  h.renewals.length = 0;
  await sweepDueSecrets(h.deps);
  const mine = h.renewals.filter((m) => ids.includes(m.requestId));
  for (const m of mine) await processSecret(h.deps, m, silent);
  return mine;
}

describe('expiry index and sweep', () => {
  it('indexes a provisioned secret by its expiry day, and the sweep queues only the due ones', async () => {
    const h = harness();
    const early = await provision(h);
    const rec = await record(early);
    const expiresOn = rec.pipeline.steps.serverSecret.outputs!.expiresOn!;
    const page = await base.expiryIndex.due(expiryBucket(expiresOn), 1000);
    expect(page.items.filter((e) => e.requestId === early).map((e) => e.bucket)).toEqual([expiryBucket(expiresOn)]);

    h.advance(200 * DAY);
    await sweepDueSecrets(h.deps);
    expect(h.renewals.filter((m) => m.requestId === early)).toEqual([]);
    const late = await provision(h); // provisioned 200 days later

    h.advance(140 * DAY); // 340 days in: the first secret expires within 30 days, the second does not
    const sent = await sweepAndProcess(h, [early, late]);
    expect(sent.map((m) => m.requestId)).toEqual([early]);
  }, 120_000);
});

describe('renewal', () => {
  it('adds a new credential and Key Vault version, keeps the old one until confirmed, then removes it', async () => {
    const h = harness();
    const id = await provision(h);
    const oldKeyId = (await record(id)).pipeline.steps.serverSecret.outputs!.keyId!;
    h.advance(340 * DAY);

    await sweepAndProcess(h, [id]);
    let rec = await record(id);
    const newKeyId = rec.secret!.current.keyId;
    expect(newKeyId).not.toBe(oldKeyId);
    expect(rec.secret!.previous?.keyId).toBe(oldKeyId);
    expect(new Set(managedKeyIds(rec))).toEqual(new Set([oldKeyId, newKeyId]));
    expect((await base.secrets.latest(keyVaultSecretName(id)))!.tags.credentialKeyId).toBe(newKeyId);
    expect(Date.parse(rec.secret!.current.expiresOn)).toBeGreaterThan(h.at() + 360 * DAY);
    expect(rec.secret!.history.map((e) => e.event)).toContain('renewed');

    // The timer firing again (same day, next day) renews nothing more.
    await sweepAndProcess(h, [id]);
    h.advance(DAY);
    await sweepAndProcess(h, [id]);
    rec = await record(id);
    expect(rec.secret!.current.keyId).toBe(newKeyId);
    expect(managedKeyIds(rec)).toHaveLength(2);

    // A forced renewal would make a third credential: refused until Configuration Manager is confirmed updated.
    await expect(renewSecret(h.deps, id, { force: true })).rejects.toBeInstanceOf(RenewalAwaitingConfirmationError);

    const view = await confirmSecret(h.deps, id);
    expect(view.state).toBe('valid');
    rec = await record(id);
    expect(managedKeyIds(rec)).toEqual([newKeyId]);
    expect(await enabledVaultKeyIds(id)).toEqual([newKeyId]);
    expect(rec.secret!.previous).toBeUndefined();
    // The index follows: the secret is now filed under the new credential's expiry day only.
    const all = await base.expiryIndex.due(expiryBucket(rec.secret!.current.expiresOn), 1000);
    expect(all.items.filter((e) => e.requestId === id).map((e) => e.bucket)).toEqual([
      expiryBucket(rec.secret!.current.expiresOn),
    ]);
    // Confirming again is harmless.
    await expect(confirmSecret(h.deps, id)).resolves.toMatchObject({ state: 'valid' });
  }, 120_000);

  it('removes an unconfirmed previous credential at its own expiry', async () => {
    const h = harness();
    const id = await provision(h);
    const oldKeyId = (await record(id)).pipeline.steps.serverSecret.outputs!.keyId!;
    h.advance(340 * DAY);
    await sweepAndProcess(h, [id]);
    const newKeyId = (await record(id)).secret!.current.keyId;
    h.advance(30 * DAY); // past the old credential's expiry, never confirmed
    await sweepAndProcess(h, [id]);
    const rec = await record(id);
    expect(managedKeyIds(rec)).toEqual([newKeyId]);
    expect(rec.secret!.previous).toBeUndefined();
    expect(await enabledVaultKeyIds(id)).not.toContain(oldKeyId);
  }, 120_000);

  it('a forced renewal renews a secret that is not due yet, once', async () => {
    const h = harness();
    const id = await provision(h);
    const result = await renewSecret(h.deps, id, { force: true });
    expect(result.renewed).toBe(true);
    const rec = await record(id);
    expect(managedKeyIds(rec)).toHaveLength(2);
    expect(rec.secret!.previous).toBeDefined();
  }, 120_000);

  it('a worker that dies after the Key Vault write: the next run adopts that credential, no third one', async () => {
    const h = harness();
    const id = await provision(h);
    h.advance(340 * DAY);
    let died = false;
    h.deps.store = intercept(base.store, (prop) => {
      if (prop !== 'update') return undefined;
      return (rid: string, change: (r: RegistrationRecord) => RegistrationRecord | undefined) =>
        base.store.update(rid, (current) => {
          const next = change(current);
          if (!died && next?.secret?.previous && !current.secret?.previous) {
            died = true;
            throw new WorkerDied('died before recording the renewal');
          }
          return next;
        });
    });
    await expect(processSecret(h.deps, { requestId: id }, silent)).rejects.toBeInstanceOf(WorkerDied);
    const stored = (await base.secrets.latest(keyVaultSecretName(id)))!.tags.credentialKeyId;
    expect(managedKeyIds(await record(id))).toHaveLength(2);

    h.advance(h.deps.stepLeaseMs + 1000); // the dead worker's lease runs out; the queue redelivers
    await processSecret(h.deps, { requestId: id }, silent);
    const rec = await record(id);
    expect(rec.secret!.current.keyId).toBe(stored);
    expect(managedKeyIds(rec)).toHaveLength(2);
  }, 120_000);

  it('a worker that dies between addPassword and the vault write: the orphan is removed, ≤ 2 credentials', async () => {
    const h = harness();
    const id = await provision(h);
    const oldKeyId = (await record(id)).pipeline.steps.serverSecret.outputs!.keyId!;
    h.advance(340 * DAY);
    let died = false;
    h.deps.secrets = intercept(base.secrets, (prop) =>
      prop === 'put' && !died
        ? () => {
            died = true;
            return Promise.reject(new WorkerDied('died before the vault write'));
          }
        : undefined,
    );
    let cleanup = false;
    h.deps.graphFor = (t, c): GraphDirectory =>
      intercept(base.graphFor(t, c), (prop) => {
        if (prop === 'removePassword' && died && !cleanup) {
          cleanup = true;
          return () => Promise.reject(new WorkerDied('dead workers clean nothing'));
        }
        return undefined;
      });
    await expect(processSecret(h.deps, { requestId: id }, silent)).rejects.toBeInstanceOf(WorkerDied);
    expect(managedKeyIds(await record(id))).toHaveLength(2); // the old one and the orphan

    // Graph refuses back-to-back credential writes (remove orphan, then add): retried, not failed.
    emulators.graph.faults.configure({ credentialConcurrencyWindowMs: 300 });
    h.advance(h.deps.stepLeaseMs + 1000);
    await processSecret(h.deps, { requestId: id }, silent);
    const rec = await record(id);
    const keys = managedKeyIds(rec);
    expect(keys).toHaveLength(2);
    expect(new Set(keys)).toEqual(new Set([oldKeyId, rec.secret!.current.keyId]));
    expect((await base.secrets.latest(keyVaultSecretName(id)))!.tags.credentialKeyId).toBe(rec.secret!.current.keyId);
  }, 120_000);
});

describe('alerts', () => {
  it('lists secrets with their state and sends each threshold once, signed, with the PowerShell', async () => {
    const h = harness();
    const id = await provision(h);
    const listed = await listSecrets(h.deps, { dueWithinDays: 400, pageSize: 1000 });
    expect(listed.items.find((s) => s.registrationId === id)).toMatchObject({ state: 'valid' });
    const notListed = await listSecrets(h.deps, { dueWithinDays: 30, pageSize: 1000 });
    expect(notListed.items.find((s) => s.registrationId === id)).toBeUndefined();

    h.advance(340 * DAY); // renewed; 30-day threshold of the old credential
    await sweepAndProcess(h, [id]);
    const mine = () => h.notifications.filter((n) => n.requestId === id);
    expect(
      mine()
        .map((n) => [n.threshold, n.target])
        .sort(),
    ).toEqual([
      [30, 'callback'],
      [30, 'webhook'],
    ]);
    const due = await listSecrets(h.deps, { dueWithinDays: 30, pageSize: 1000 });
    expect(due.items.find((s) => s.registrationId === id)).toMatchObject({ state: 'renewed-awaiting-confirmation' });

    await sweepAndProcess(h, [id]); // same day again: nothing new
    expect(mine()).toHaveLength(2);

    received.length = 0;
    const webhookMessage = mine().find((n) => n.target === 'webhook')!;
    await expect(deliverSecretNotification(h.deps, webhookMessage)).resolves.toBe('sent');
    expect(received).toHaveLength(1);
    const got = received[0]!;
    const body = JSON.parse(got.body) as {
      event: string;
      secret: { state: string; newSecret: { keyVaultSecretId: string; expiresOn: string } };
      powershell: string;
    };
    const rec = await record(id);
    expect(body.event).toBe('secret.expiring');
    expect(body.secret.state).toBe('renewed-awaiting-confirmation');
    expect(body.secret.newSecret.keyVaultSecretId).toBe(rec.secret!.current.keyVaultSecretId);
    expect(body.powershell).toContain(`-Name '${keyVaultSecretName(id)}'`);
    expect(body.powershell).toContain(`/registrations/${id}/secret/confirm`);
    const key = Buffer.from((await base.secrets.readOwnValue(base.callbackSigningSecretName))!, 'base64');
    const ts = String(got.headers['x-cm-provisioner-timestamp']);
    expect(got.headers['x-cm-provisioner-signature']).toBe(
      `sha256=${createHmac('sha256', key).update(`${ts}.${got.body}`).digest('hex')}`,
    );
    expect(got.body).not.toMatch(/secretText|"value"/);

    h.advance(17 * DAY); // 13 days before the old credential expires: the 14-day threshold
    await sweepAndProcess(h, [id]);
    expect(mine().map((n) => n.threshold)).toEqual([30, 30, 14, 14]);

    await confirmSecret(h.deps, id); // Configuration Manager updated: no more warnings
    h.advance(7 * DAY);
    await sweepAndProcess(h, [id]);
    expect(mine()).toHaveLength(4);
  }, 120_000);
});

describe('a renewal that cannot run', () => {
  it('still warns, records why, and fails the message for the queue to retry', async () => {
    const h = harness();
    const id = await provision(h);
    const rec0 = await record(id);
    // Someone removed the provisioner from the app's owners: it may read the app but not add a secret.
    emulators.directory
      .resolveTenant(tenantId)!
      .applicationByAppId(rec0.pipeline.steps.serverApp.outputs!.appId!)!.owners = [];
    h.advance(340 * DAY);
    await expect(processSecret(h.deps, { requestId: id }, silent)).rejects.toMatchObject({
      code: 'IMPORT_PROVISIONER_NOT_OWNER',
    });
    const rec = await record(id);
    expect(rec.secret!.lastError?.code).toBe('IMPORT_PROVISIONER_NOT_OWNER');
    expect(rec.secret!.previous).toBeUndefined();
    expect(managedKeyIds(rec)).toHaveLength(1);
    expect(h.notifications.filter((n) => n.requestId === id).map((n) => n.threshold)).toEqual([30, 30]);
    const due = await listSecrets(h.deps, { dueWithinDays: 30, pageSize: 1000 });
    expect(due.items.find((s) => s.registrationId === id)).toMatchObject({
      state: 'due',
      lastError: { code: 'IMPORT_PROVISIONER_NOT_OWNER' },
    });
  }, 120_000);
});

describe('drift repair (reconcile)', () => {
  it('reports drift on a dry run without changing anything, then re-applies the required settings', async () => {
    const h = harness();
    const id = await provision(h);
    const rec = await record(id);
    const graph = base.graphFor(tenantId, getCloud('AzurePublicCloud'));
    const serverObjectId = rec.pipeline.steps.serverApp.outputs!.objectId!;
    // Someone edits the apps by hand: the HomePage URL changes, the client's Graph User.Read consent is revoked.
    await graph.patchApplication(serverObjectId, { web: { homePageUrl: 'https://drifted.contoso.com' } });
    const clientSpId = rec.pipeline.steps.clientServicePrincipal.outputs!.objectId!;
    const graphSpId = (await graph.graphServicePrincipal()).id;
    const userRead = (await graph.permissionGrants(clientSpId)).find((g) => g.resourceId === graphSpId)!;
    await graph.deletePermissionGrant(userRead.id);

    const dry = await reconcileRegistration(h.deps, id, { dryRun: true });
    expect(dry.drift.map((d) => d.rule).sort()).toEqual(['CONSENT_GRAPH_USER_READ', 'SERVER_HOME_PAGE_URL']);
    expect(dry.repaired).toEqual([]);
    const after = await graph.findApplicationById(serverObjectId);
    expect(after?.web?.homePageUrl).toBe('https://drifted.contoso.com'); // the dry run changed nothing

    const fixed = await reconcileRegistration(h.deps, id, { dryRun: false });
    expect(fixed.repaired).toEqual(['serverApp', 'clientGraphGrant']);
    expect(fixed.remaining).toEqual([]);
    expect((await graph.findApplicationById(serverObjectId))?.web?.homePageUrl).toBe(rec.request.serverApp.homePageUrl);
    await expect(reconcileRegistration(h.deps, id, { dryRun: true })).resolves.toMatchObject({ drift: [] });
  }, 120_000);
});

describe('decommission', () => {
  it('needs the ticket id as confirmation, removes credentials, consents and apps, disables the secret; twice is harmless', async () => {
    const h = harness();
    const id = await provision(h);
    const rec = await record(id);
    await expect(decommissionRegistration(h.deps, id, {})).rejects.toBeInstanceOf(DecommissionConfirmationError);
    await expect(decommissionRegistration(h.deps, id, { confirm: 'someone-else' })).rejects.toBeInstanceOf(
      DecommissionConfirmationError,
    );

    const first = await decommissionRegistration(h.deps, id, { confirm: rec.ticketId });
    expect(first.decommission.completedAt).toBeDefined();
    const dump = emulators.graph.dump(tenantId)!;
    const appIds = [rec.pipeline.steps.serverApp.outputs!.appId, rec.pipeline.steps.clientApp.outputs!.appId];
    expect(dump.applications.filter((a) => appIds.includes(a.data.appId as string))).toEqual([]);
    expect(dump.servicePrincipals.filter((s) => appIds.includes(s.data.appId as string))).toEqual([]);
    const spIds = [
      rec.pipeline.steps.serverServicePrincipal.outputs!.objectId,
      rec.pipeline.steps.clientServicePrincipal.outputs!.objectId,
    ];
    expect(dump.oauth2PermissionGrants.filter((g) => spIds.includes(g.data.clientId as string))).toEqual([]);
    expect(await enabledVaultKeyIds(id)).toEqual([]);
    const index = await base.expiryIndex.due(undefined, 1000);
    let token = index.continuationToken;
    const entries = [...index.items];
    while (token) {
      const next = await base.expiryIndex.due(undefined, 1000, token);
      entries.push(...next.items);
      token = next.continuationToken;
    }
    expect(entries.filter((e) => e.requestId === id)).toEqual([]);

    const again = await decommissionRegistration(h.deps, id, { confirm: rec.ticketId });
    expect(again.decommission).toEqual(first.decommission);
    // A decommissioned registration is no longer tracked: the renewal handler leaves it alone.
    h.advance(340 * DAY);
    await expect(processSecret(h.deps, { requestId: id }, silent)).resolves.toMatchObject({ outcome: 'untracked' });
  }, 120_000);
});

describe('import existing apps', () => {
  function importTicket(existing: RegistrationRecord) {
    const ticketId = `IMPORT-${randomUUID().slice(0, 8)}`;
    return {
      ticketId,
      requestedBy: 'ops@contoso.com',
      service: 'CloudManagement',
      action: 'import',
      tenantId,
      tenantName: 'contoso.onmicrosoft.com',
      cloud: 'AzurePublicCloud',
      serverApp: {
        displayName: existing.request.serverApp.displayName,
        appIdUri: existing.request.serverApp.appIdUri,
        appId: existing.pipeline.steps.serverApp.outputs!.appId,
        secretValidityYears: 1,
      },
      clientApp: {
        displayName: existing.request.clientApp!.displayName,
        appId: existing.pipeline.steps.clientApp.outputs!.appId,
      },
    };
  }

  it('verifies the existing apps with the verify rules, adopts a proven secret, and tracks and renews it', async () => {
    const h = harness();
    const existing = await record(await provision(h));
    // The existing server app deviates from the requirements in one setting.
    await base
      .graphFor(tenantId, getCloud('AzurePublicCloud'))
      .patchApplication(existing.pipeline.steps.serverApp.outputs!.objectId!, {
        web: { implicitGrantSettings: { enableIdTokenIssuance: false } },
      });
    const { record: imported } = await submitRegistration(h.deps, importTicket(existing));
    await drain(h);
    const rec = await record(imported.requestId);
    expect(rec.pipeline.state).toBe('Succeeded');
    const verify = rec.pipeline.steps.verify.outputs!;
    expect(verify.serverAppId).toBe(existing.pipeline.steps.serverApp.outputs!.appId);
    const report = (rec.outputs as { importReport: { deviations: { rule: string }[] } }).importReport;
    expect(report.deviations.map((d) => d.rule)).toEqual(
      JSON.parse(verify.deviationReport!).map((d: { rule: string }) => d.rule),
    );
    // Reported with the verify step's rules, not fixed.
    expect(report.deviations.map((d) => d.rule)).toEqual(['SERVER_ID_TOKEN_ISSUANCE']);
    const secret = rec.pipeline.steps.serverSecret.outputs!;
    expect(secret.tokenVerified).toBe('true');
    expect(managedKeyIds({ ...rec, pipeline: existing.pipeline, requestId: imported.requestId })).toEqual([
      secret.keyId,
    ]);
    expect((await base.secrets.latest(keyVaultSecretName(imported.requestId)))!.tags.credentialKeyId).toBe(
      secret.keyId,
    );

    // Tracked, reported and renewed like a created one.
    h.advance(340 * DAY);
    const due = await listSecrets(h.deps, { dueWithinDays: 30, pageSize: 1000 });
    expect(due.items.find((s) => s.registrationId === imported.requestId)).toMatchObject({ state: 'due' });
    await sweepAndProcess(h, [imported.requestId]);
    const renewed = await record(imported.requestId);
    expect(renewed.secret!.previous?.keyId).toBe(secret.keyId);
    expect(managedKeyIds({ ...renewed, pipeline: existing.pipeline, requestId: imported.requestId })).toHaveLength(2);
  }, 120_000);

  it('refuses to adopt the secret of an app the provisioner does not own, with the fix in the error', async () => {
    const h = harness();
    const existing = await record(await provision(h));
    const appId = existing.pipeline.steps.serverApp.outputs!.appId!;
    emulators.directory.resolveTenant(tenantId)!.applicationByAppId(appId)!.owners = [];
    const { record: imported } = await submitRegistration(h.deps, importTicket(existing));
    await drain(h);
    const rec = await record(imported.requestId);
    expect(rec.pipeline.state).toBe('Failed');
    expect(rec.pipeline.steps.verify.status).toBe('Succeeded'); // reading is allowed
    const error = rec.pipeline.steps.serverSecret.lastError!;
    expect(error.code).toBe('IMPORT_PROVISIONER_NOT_OWNER');
    expect(error.message).toContain('owner');
    expect(error.message).toContain(`/api/registrations/${imported.requestId}/retry`);
  }, 120_000);
});
