import type { Client } from '@microsoft/microsoft-graph-client';
import type { EntraEmulator } from '../../../dev/emulators/entra';
import type { GraphEmulator } from '../../../dev/emulators/graph';
import { emulatorCredential } from '../../../dev/emulators/graph/sdk';
import {
  contoso,
  fabrikam,
  GRAPH_APP_ID,
  sdkFailure as failure,
  useGraphEmulators,
  type Json,
} from '../../support/graphEmulator';

const emulators = useGraphEmulators();
let entra: EntraEmulator;
let graph: GraphEmulator;
let owned: Client; // Contoso: Application.ReadWrite.OwnedBy + AppRoleAssignment.ReadWrite.All
let all: Client; // Fabrikam: Application.ReadWrite.All
let fabrikamToken: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw call (no SDK retries), to observe faults as they are. */
async function raw(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number | 'dropped'; headers?: Headers; json?: Json }> {
  try {
    const res = await fetch(`${graph.url}/v1.0${path}`, {
      method,
      headers: { authorization: `Bearer ${fabrikamToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  } catch {
    return { status: 'dropped' };
  }
}

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${graph.url}/_emulator${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  ({ entra, graph } = emulators);
  owned = emulators.clientFor(contoso);
  all = emulators.clientFor(fabrikam);
  fabrikamToken = (await emulators.credentialFor(fabrikam).getToken('https://graph.microsoft.com/.default')).token;
});

describe('replication lag', () => {
  const LAG = 700;

  it('hides a new application from reads and from service principal creation until the lag has passed', async () => {
    graph.faults.configure({ replicationLagMs: LAG });
    const app = await all.api('/applications').post({ displayName: 'lagging' });
    const spErr = await failure(all.api('/servicePrincipals').post({ appId: app.appId }));
    expect(spErr.statusCode).toBe(400);
    expect(spErr.code).toBe('Request_BadRequest');
    expect(spErr.message).toBe(
      `The appId '${app.appId}' of the service principal does not reference a valid application object.`,
    );
    expect(spErr.body.details).toEqual([
      expect.objectContaining({ code: 'NoBackingApplicationObject', target: 'appId' }),
    ]);
    const read = await failure(all.api(`/applications/${app.id}`).get());
    expect(read.statusCode).toBe(404);
    expect(read.code).toBe('Request_ResourceNotFound');
    expect(read.message).toBe(
      `Resource '${app.id}' does not exist or one of its queried reference-property objects are not present.`,
    );
    const listed = await all.api('/applications').filter(`appId eq '${app.appId}'`).get();
    expect(listed.value).toEqual([]);
    expect(graph.calls().filter((c) => c.fault === 'replicationLag').length).toBeGreaterThanOrEqual(2);

    await sleep(LAG + 50);
    const sp = await all.api('/servicePrincipals').post({ appId: app.appId });
    expect(sp.appId).toBe(app.appId);
    expect((await all.api(`/applications/${app.id}`).get()).id).toBe(app.id);
  });

  it('answers an OwnedBy caller with the 403 about the backing application', async () => {
    graph.faults.configure({ replicationLagMs: LAG });
    const app = await owned.api('/applications').post({ displayName: 'lagging-owned' });
    const err = await failure(owned.api('/servicePrincipals').post({ appId: app.appId }));
    expect(err.statusCode).toBe(403);
    expect(err.code).toBe('Authorization_RequestDenied');
    expect(err.message).toBe(
      'When using this permission, the backing application of the service principal being created must in the local tenant',
    );
    await sleep(LAG + 50);
    await owned.api('/servicePrincipals').post({ appId: app.appId });
  });

  it('refuses an app role assignment to a service principal still replicating ("Not a valid reference update.")', async () => {
    const graphSp = await owned.api(`/servicePrincipals(appId='${GRAPH_APP_ID}')`).get();
    const app = await owned.api('/applications').post({ displayName: 'assign-lag' });
    graph.faults.configure({ replicationLagMs: LAG });
    const sp = await owned.api('/servicePrincipals').post({ appId: app.appId });
    const body = { principalId: sp.id, resourceId: graphSp.id, appRoleId: '7ab1d382-f21e-4acd-a863-ba3e13f7da61' };
    const err = await failure(owned.api(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`).post(body));
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('Request_BadRequest');
    expect(err.message).toBe('Not a valid reference update.');
    await sleep(LAG + 50);
    const assignment = await owned.api(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`).post(body);
    expect(assignment.principalId).toBe(sp.id);
  });

  it('keeps a new secret and a new service principal unknown to the token service during the lag', async () => {
    const token = (appId: string, secret: string) =>
      emulatorCredential(entra.url, fabrikam.tenantId, appId, secret).getToken('https://graph.microsoft.com/.default');

    // a secret added while the lag is on: AADSTS7000215 until it has replicated
    const app = await all.api('/applications').post({ displayName: 'secret-lag' });
    await all.api('/servicePrincipals').post({ appId: app.appId });
    graph.faults.configure({ replicationLagMs: LAG });
    const { secretText } = await all.api(`/applications/${app.id}/addPassword`).post({});
    await expect(token(app.appId, secretText)).rejects.toThrow(/AADSTS7000215/);
    await sleep(LAG + 50);
    expect((await token(app.appId, secretText)).token).toEqual(expect.any(String));

    // a service principal created while the lag is on: AADSTS7000229 until it has replicated
    graph.faults.reset();
    const other = await all.api('/applications').post({ displayName: 'sp-lag' });
    const otherSecret = (await all.api(`/applications/${other.id}/addPassword`).post({})).secretText;
    graph.faults.configure({ replicationLagMs: LAG });
    await all.api('/servicePrincipals').post({ appId: other.appId });
    await expect(token(other.appId, otherSecret)).rejects.toThrow(/AADSTS7000229/);
    await sleep(LAG + 50);
    expect((await token(other.appId, otherSecret)).token).toEqual(expect.any(String));
  });

  it('draws per-object jitter from the seed', () => {
    const lags = (seed: number) => {
      graph.faults.configure({ seed, replicationLagMs: 100, replicationLagJitterMs: 1000 });
      return Array.from({ length: 10 }, () => graph.faults.lagMs());
    };
    expect(lags(5)).toEqual(lags(5));
    expect(lags(5)).not.toEqual(lags(6));
    expect(Math.min(...lags(5))).toBeGreaterThanOrEqual(100);
  });
});

describe('random faults', () => {
  async function sequence(seed: number): Promise<string[]> {
    graph.faults.configure({ seed, serverErrorRate: 0.2, throttleRate: 0.2, dropRate: 0.1, retryAfterSeconds: 2 });
    const out: string[] = [];
    for (let i = 0; i < 30; i++) out.push(String((await raw('GET', '/servicePrincipals?$top=1')).status));
    return out;
  }

  it('replays the same fault sequence for the same seed', async () => {
    const first = await sequence(11);
    const second = await sequence(11);
    expect(second).toEqual(first);
    for (const status of first) expect(['200', '429', 'dropped', '500', '503']).toContain(status);
    expect(first.filter((s) => s !== '200').length).toBeGreaterThan(3);
    expect(first.filter((s) => s === '200').length).toBeGreaterThan(3);
    expect(await sequence(12)).not.toEqual(first);
  });

  it('sends 429 with Retry-After and 5xx with Graph error bodies', async () => {
    graph.faults.configure({ throttleRate: 1, retryAfterSeconds: 7 });
    const throttled = await raw('GET', '/applications');
    expect(throttled.status).toBe(429);
    expect(throttled.headers!.get('retry-after')).toBe('7');
    expect(throttled.headers!.get('x-ms-throttle-scope')).toBeTruthy();
    expect(throttled.json.error.code).toBe('TooManyRequests');
    graph.faults.configure({ serverErrorRate: 1 });
    const failed = await raw('GET', '/applications');
    expect([500, 503]).toContain(failed.status);
    expect(failed.json.error.innerError['request-id']).toEqual(expect.any(String));
  });

  it('adds a fixed latency to every call', async () => {
    graph.faults.configure({ latencyMs: 250 });
    const start = Date.now();
    await raw('GET', '/applications?$top=1');
    expect(Date.now() - start).toBeGreaterThanOrEqual(240);
  });
});

describe('write throttling and concurrency', () => {
  it('throttles writes per app and tenant with a token bucket, and the SDK recovers by honouring Retry-After', async () => {
    graph.faults.configure({ writeBucketCapacity: 2, writeBucketRefillPerSecond: 1 });
    expect((await raw('POST', '/applications', { displayName: 'w1' })).status).toBe(201);
    expect((await raw('POST', '/applications', { displayName: 'w2' })).status).toBe(201);
    const third = await raw('POST', '/applications', { displayName: 'w3' });
    expect(third.status).toBe(429);
    expect(third.headers!.get('x-ms-throttle-scope')).toBe('Tenant_Application_Write');
    expect(Number(third.headers!.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // reads are not counted, nor are other apps' writes
    expect((await raw('GET', '/applications?$top=1')).status).toBe(200);
    await owned.api('/applications').post({ displayName: 'other tenant' });
    // the Graph client's retry handler waits Retry-After and succeeds
    const created = await all.api('/applications').post({ displayName: 'w4' });
    expect(created.displayName).toBe('w4');
    expect(graph.calls({ tenant: fabrikam.tenantId }).some((c) => c.fault === 'writeThrottle')).toBe(true);
  });

  it('answers back-to-back credential writes to one app with 409 Directory_ConcurrencyViolation', async () => {
    const app = await all.api('/applications').post({ displayName: 'concurrency' });
    graph.faults.configure({ credentialConcurrencyWindowMs: 500 });
    await all.api(`/applications/${app.id}/addPassword`).post({});
    const err = await failure(all.api(`/applications/${app.id}/addPassword`).post({}));
    expect(err.statusCode).toBe(409);
    expect(err.code).toBe('Directory_ConcurrencyViolation');
    await sleep(550);
    await all.api(`/applications/${app.id}/addPassword`).post({});
  });
});

describe('admin endpoint', () => {
  it('reads, replaces and resets the faults, refusing an unknown setting', async () => {
    const put = await admin('PUT', '/faults', { seed: 3, throttleRate: 0.5, replicationLagMs: 10 });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ seed: 3, throttleRate: 0.5, replicationLagMs: 10, serverErrorRate: 0 });
    expect((await admin('GET', '/faults')).json).toMatchObject({ seed: 3, throttleRate: 0.5 });
    const bad = await admin('PUT', '/faults', { throttleRaet: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/throttleRaet/);
    expect((await admin('DELETE', '/faults')).json).toMatchObject({ throttleRate: 0, replicationLagMs: 0 });
  });

  it('keeps a call log with method, path, status, times, tenant and caller, and dumps a tenant', async () => {
    expect((await admin('DELETE', '/calls')).status).toBe(204);
    await all.api('/applications').top(1).get();
    const { json } = await admin('GET', '/calls');
    expect(json.value).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/v1.0/applications?$top=1',
        status: 200,
        tenant: fabrikam.tenantId,
        caller: fabrikam.provisioner.clientId,
        start: expect.any(String),
        end: expect.any(String),
      }),
    ]);
    const dump = await admin('GET', `/tenants/${fabrikam.initialDomain}/objects`);
    expect(dump.status).toBe(200);
    expect(dump.json.tenant.id).toBe(fabrikam.tenantId);
    expect(dump.json.servicePrincipals.map((s: { data: { appId: string } }) => s.data.appId)).toContain(GRAPH_APP_ID);
  });
});
