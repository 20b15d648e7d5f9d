import type { Client } from '@microsoft/microsoft-graph-client';
import { ensureDevCertificates } from '../../../dev/certs';
import { sampleTenants, type TenantSeed } from '../../../dev/emulators/directory';
import { startEntraEmulator, type EntraEmulator } from '../../../dev/emulators/entra';
import { startGraphEmulator, type GraphEmulator } from '../../../dev/emulators/graph';
import { emulatorCredential, emulatorGraphClient } from '../../../dev/emulators/graph/sdk';

const [contoso, fabrikam] = sampleTenants() as [TenantSeed, TenantSeed];

let entra: EntraEmulator;
let graph: GraphEmulator;
let client: Client;

beforeAll(async () => {
  const tls = await ensureDevCertificates();
  entra = await startEntraEmulator({ tenants: [contoso, fabrikam], tls });
  graph = await startGraphEmulator({ entra, tls });
  client = emulatorGraphClient(
    graph.url,
    emulatorCredential(entra.url, fabrikam.tenantId, fabrikam.provisioner.clientId, fabrikam.provisioner.clientSecret),
  );
});

afterAll(async () => {
  await graph.close();
  await entra.close();
});

const json = { 'Content-Type': 'application/json' };

describe('$batch', () => {
  it('runs requests in dependsOn order, answers by id, and fails dependents of a failed request with 424', async () => {
    const name = `batch-${Date.now()}`;
    const result = await client.api('/$batch').post({
      requests: [
        { id: 'list', method: 'GET', url: `/applications?$filter=uniqueName eq '${name}'`, dependsOn: ['upsert'] },
        {
          id: 'upsert',
          method: 'PATCH',
          url: `/applications(uniqueName='${name}')`,
          headers: { ...json, Prefer: 'create-if-missing' },
          body: { displayName: name },
        },
        { id: 'bad', method: 'POST', url: '/applications', headers: json, body: { displayNmae: 'typo' } },
        { id: 'after-bad', method: 'GET', url: '/applications', dependsOn: ['bad'] },
        { id: 'no-type', method: 'POST', url: '/applications', body: { displayName: 'x' } },
      ],
    });
    const byId = Object.fromEntries(result.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.upsert.status).toBe(201);
    expect(byId.upsert.body.uniqueName).toBe(name);
    expect(byId.list.status).toBe(200);
    expect(byId.list.body.value.map((a: { id: string }) => a.id)).toEqual([byId.upsert.body.id]);
    expect(byId.bad.status).toBe(400);
    expect(byId.bad.body.error.message).toBe(
      "Property 'displayNmae' does not exist as a declared property or extension property.",
    );
    expect(byId['after-bad'].status).toBe(424);
    expect(byId['no-type'].status).toBe(400);
    expect(byId['no-type'].body.error.message).toBe(
      'Write request id : no-type does not contain Content-Type header or body.',
    );
    const subCalls = graph.calls().filter((c) => c.batch);
    expect(subCalls.map((c) => c.batch!.id)).toEqual(expect.arrayContaining(['upsert', 'list', 'bad', 'after-bad']));
    expect(subCalls.findIndex((c) => c.batch!.id === 'upsert')).toBeLessThan(
      subCalls.findIndex((c) => c.batch!.id === 'list'),
    );
  });

  it('refuses more than 20 requests with the real error', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i + 1),
      method: 'GET',
      url: '/applications?$top=1',
    }));
    let error: { statusCode?: number; message?: string } = {};
    try {
      await client.api('/$batch').post({ requests });
    } catch (err) {
      error = err as typeof error;
    }
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe('Number of requests inside batch exceeds the limit.');
    const twenty = await client.api('/$batch').post({ requests: requests.slice(0, 20) });
    expect(twenty.responses).toHaveLength(20);
  });

  it('throttles sub-requests one by one, reproducibly from the seed', async () => {
    const requests = Array.from({ length: 10 }, (_, i) => ({
      id: String(i + 1),
      method: 'GET',
      url: '/applications?$top=1',
    }));
    const run = async (): Promise<Array<{ id: string; status: number; headers: Record<string, string> }>> => {
      graph.faults.configure({ seed: 4, throttleRate: 0.4, retryAfterSeconds: 1 });
      return (await client.api('/$batch').post({ requests })).responses;
    };
    const first = await run();
    const second = await run();
    graph.faults.reset();
    expect(second.map((r) => `${r.id}:${r.status}`)).toEqual(first.map((r) => `${r.id}:${r.status}`));
    const throttled = first.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.length).toBeLessThan(10);
    expect(throttled[0]!.headers['retry-after']).toBe('1');
  });
});
