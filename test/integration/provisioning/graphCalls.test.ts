import { randomUUID } from 'node:crypto';
import type { RunningEmulators } from '../../../dev/emulators';
import type { GraphDirectory } from '../../../src/shared/adapters/graph/directory';
import { applicationUniqueName } from '../../../src/shared/domain';
import type { ProvisioningDeps } from '../../../src/shared/provisioning/ports';
import { submitRegistration } from '../../../src/shared/provisioning/requests';
import { intercept, TENANT_ID, useInProcessServices } from '../../support/inProcess';
import { cmgTicket, drain, pipelineHarness } from '../../support/pipelineHarness';

/**
 * What one CMG provisioning costs in Graph, from the Graph emulator's call log: the nine writes the seeds require
 * and the one read-back no write answer can replace (the client app after its redirect PATCH, which answers 204).
 * verify checks Graph's answers to the writes and reads the registration back only when an answer deviates.
 */

const stack = useInProcessServices();
let emulators: RunningEmulators;
let base: ProvisioningDeps;
beforeAll(async () => {
  ({ emulators } = stack);
  base = stack.services.provisioning;
  // Warm the directory's cache of Microsoft Graph's service principal (read once per worker and tenant).
  const h = pipelineHarness(base);
  await submitRegistration(h.deps, cmgTicket(`WARM-${randomUUID().slice(0, 8)}`));
  await drain(h);
}, 60_000);

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const shape = (method: string, path: string): string =>
  `${method} ${path
    .replace(/^\/v1\.0/, '')
    .replace(/'[^']*'/g, '{key}')
    .replace(GUID, '{id}')}`;

/** Runs one ticket to its end through `deps`; the Graph calls it made, as "METHOD /path-shape". */
async function provision(deps: ProvisioningDeps, ticketId: string) {
  const h = pipelineHarness(deps);
  const before = emulators.graph.calls({ tenant: TENANT_ID }).length;
  const { record } = await submitRegistration(h.deps, cmgTicket(ticketId));
  await drain(h);
  const calls = emulators.graph.calls({ tenant: TENANT_ID }).slice(before);
  return {
    requestId: record.requestId,
    calls: calls.map((c) => shape(c.method, c.path)).sort(),
    delivered: h.delivered.map((m) => m.step),
  };
}

it('one ticket makes 10 Graph calls: 9 writes and the client app read-back; verify reads nothing', async () => {
  const { requestId, calls, delivered } = await provision(base, `CALLS-${randomUUID().slice(0, 8)}`);
  expect((await base.store.get(requestId))!.record.pipeline.state).toBe('Succeeded');
  // verify and complete ran inline, in the invocation of the last step they waited for: no queue hop of their own.
  expect(delivered).not.toContain('verify');
  expect(delivered).not.toContain('complete');
  expect([...delivered].sort()).toEqual(
    [
      'serverApp',
      'serverSecret',
      'serverServicePrincipal',
      'clientApp',
      'clientRedirect',
      'clientServicePrincipal',
      'appRoleConsent',
      'delegatedGrant',
      'clientGraphGrant',
    ].sort(),
  );
  expect(calls).toEqual(
    [
      'PATCH /applications(uniqueName={key})', // server app
      'POST /applications/{id}/addPassword', // its secret (no read first: the app was just created)
      'PATCH /servicePrincipals(appId={key})', // server service principal
      'PATCH /applications(uniqueName={key})', // client app
      'PATCH /applications/{id}', // client redirect URI
      'GET /applications/{id}', // ...read back: the PATCH answers 204
      'PATCH /servicePrincipals(appId={key})', // client service principal
      'POST /servicePrincipals/{id}/appRoleAssignedTo', // Directory.Read.All admin consent
      'POST /oauth2PermissionGrants', // user_impersonation
      'POST /oauth2PermissionGrants', // Graph User.Read
    ].sort(),
  );
});

const SERVER_PREFIX = applicationUniqueName('00000000-0000-0000-0000-000000000000', 'server').slice(0, -36);

/** The app's deps, with the server app's upsert changed by `tamper` (the answer only, or the write itself). */
function withServerUpsert(
  tamper: (real: GraphDirectory, uniqueName: string, body: object) => ReturnType<GraphDirectory['upsertApplication']>,
): ProvisioningDeps {
  return {
    ...base,
    graphFor: (tenantId, cloud) => {
      const real = base.graphFor(tenantId, cloud);
      return intercept(real, (prop) =>
        prop === 'upsertApplication'
          ? (uniqueName: string, body: object) =>
              uniqueName.startsWith(SERVER_PREFIX)
                ? tamper(real, uniqueName, body)
                : real.upsertApplication(uniqueName, body)
          : undefined,
      );
    },
  };
}

it('an answer that deviates is confirmed against a read-back; the registration passes when Graph shows it right', async () => {
  // Graph stores the app as required, but the answer the step records is stale (a lagging replica's read).
  const deps = withServerUpsert(async (real, uniqueName, body) => {
    const { app, created } = await real.upsertApplication(uniqueName, body);
    return { created, app: { ...app, displayName: 'a stale answer' } };
  });
  const { requestId, calls } = await provision(deps, `STALE-${randomUUID().slice(0, 8)}`);
  const rec = (await base.store.get(requestId))!.record;
  expect(rec.pipeline.state).toBe('Succeeded');
  expect(rec.pipeline.steps.verify.attempts).toBe(1);
  // verify read the registration back: both apps, both service principals, the assignment and the grants.
  expect(calls.filter((c) => c === 'GET /applications(uniqueName={key})')).toHaveLength(2);
  expect(calls.filter((c) => c === 'GET /servicePrincipals(appId={key})')).toHaveLength(2);
  expect(calls).toContain('GET /servicePrincipals/{id}/appRoleAssignments');
  expect(calls.some((c) => c.startsWith('GET /oauth2PermissionGrants'))).toBe(true);
});

it('a registration that Graph shows deviating fails verify, naming the property', async () => {
  // The write itself deviates (as if someone renamed the app): answer and read-back agree, verify fails.
  const deps = withServerUpsert((real, uniqueName, body) =>
    real.upsertApplication(uniqueName, { ...body, displayName: 'Renamed by hand' }),
  );
  const { requestId } = await provision(deps, `DEVIATE-${randomUUID().slice(0, 8)}`);
  const rec = (await base.store.get(requestId))!.record;
  expect(rec.pipeline.state).toBe('Failed');
  expect(rec.pipeline.steps.verify.lastError?.code).toBe('VERIFY_DEVIATIONS');
  expect(rec.pipeline.steps.verify.lastError?.message).toContain('serverApp.displayName');
  expect(rec.pipeline.steps.verify.lastError?.message).toContain('Renamed by hand');
});
