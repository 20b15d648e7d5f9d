import { intercept, TENANT_ID, useInProcessServices } from '../../support/inProcess';
import { cmgTicket, drain, pipelineHarness, WorkerDied } from '../../support/pipelineHarness';
import { randomUUID } from 'node:crypto';
import type { RunningEmulators } from '../../../dev/emulators';
import type { GraphDirectory } from '../../../src/shared/adapters/graph/directory';
import { STEP_NAMES, type StepName } from '../../../src/shared/domain';
import type { ProvisioningDeps } from '../../../src/shared/provisioning/ports';
import { submitRegistration } from '../../../src/shared/provisioning/requests';
import { INLINE_STEPS } from '../../../src/shared/provisioning/runStep';

/**
 * "Stopping the step worker after each step in turn and redelivering creates no duplicate object": for every step,
 * a worker does the step's work in Graph and Key Vault and dies before recording it; the message comes back after the
 * lease expired; the pipeline finishes; each request still has exactly one of everything.
 */

const stack = useInProcessServices();
let emulators: RunningEmulators;
let base: ProvisioningDeps;
beforeAll(() => {
  ({ emulators } = stack);
  base = stack.services.provisioning;
});

const harness = (crashAfter?: StepName) => pipelineHarness(base, crashAfter);
const ticket = cmgTicket;
const tenantId = TENANT_ID;

async function assertExactlyOneOfEverything(requestId: string): Promise<void> {
  const record = (await base.store.get(requestId))!.record;
  expect(record.pipeline.state).toBe('Succeeded');
  const dump = emulators.graph.dump(tenantId)!;
  const mine = dump.applications.filter((a) =>
    ((a.data.tags as string[] | undefined) ?? []).includes(`cm-entra-provisioner:request:${requestId}`),
  );
  expect(mine).toHaveLength(2);
  const appIds = mine.map((a) => a.data.appId as string);
  const sps = dump.servicePrincipals.filter((s) => appIds.includes(s.data.appId as string));
  expect(sps).toHaveLength(2);
  const spIds = sps.map((s) => s.data.id as string);
  expect(dump.appRoleAssignments.filter((a) => spIds.includes(a.data.principalId as string))).toHaveLength(1);
  expect(dump.oauth2PermissionGrants.filter((g) => spIds.includes(g.data.clientId as string))).toHaveLength(2);
  const serverOut = record.pipeline.steps.serverApp.outputs!;
  const server = mine.find((a) => a.data.appId === serverOut.appId)!;
  const keyIds = ((server.data.passwordCredentials as { keyId: string }[]) ?? []).map((p) => p.keyId);
  expect(keyIds).toEqual([record.pipeline.steps.serverSecret.outputs!.keyId]);
  const versions = await base.secrets.versions(`cm-server-app-secret-${requestId}`);
  expect(versions.filter((v) => v.enabled).map((v) => v.tags.credentialKeyId)).toEqual(keyIds.slice(-1));
}

describe('a worker that dies after a step, before recording it', () => {
  it.each(STEP_NAMES.map((s) => [s]))('after %s: redelivery creates no duplicate', async (step) => {
    const h = harness(step);
    const { record } = await submitRegistration(h.deps, ticket(`CRASH-${step}-${randomUUID().slice(0, 8)}`));
    await drain(h);
    expect(h.crashed()).toBe(true);
    await assertExactlyOneOfEverything(record.requestId);
  });
});

describe('a worker that dies as it claims a step it runs inline (no message of its own)', () => {
  it.each(INLINE_STEPS.map((s) => [s]))('%s: the redelivered step that unblocked it queues it again', async (step) => {
    const h = pipelineHarness(base, step, 'claim');
    const { record } = await submitRegistration(h.deps, ticket(`CLAIM-${step}-${randomUUID().slice(0, 8)}`));
    await drain(h);
    expect(h.crashed()).toBe(true);
    await assertExactlyOneOfEverything(record.requestId);
  });
});

describe('a worker that dies between addPassword and the Key Vault write', () => {
  it('leaves a credential that the next attempt removes; one credential survives, the one in Key Vault', async () => {
    // The worker dies mid-step: the vault write never happens, its clean-up never runs, nothing is recorded.
    const h = harness('serverSecret');
    let died = false;
    const secrets = intercept(base.secrets, (prop) =>
      prop === 'put' && !died
        ? () => {
            died = true;
            return Promise.reject(new WorkerDied('worker died before the vault write'));
          }
        : undefined,
    );
    // While the worker is dying, nothing it would do afterwards happens: its clean-up never runs either.
    const graphFor = (t: string, c: Parameters<ProvisioningDeps['graphFor']>[1]): GraphDirectory => {
      return intercept(base.graphFor(t, c), (prop) => {
        if (prop === 'removePassword' && died && !cleanedUpOnce) {
          cleanedUpOnce = true;
          return () => Promise.reject(new WorkerDied('dead workers clean nothing'));
        }
        return undefined;
      });
    };
    let cleanedUpOnce = false;
    h.deps.secrets = secrets;
    h.deps.graphFor = graphFor;
    const { record } = await submitRegistration(h.deps, ticket(`ORPHAN-${randomUUID().slice(0, 8)}`));
    await drain(h);
    expect(died).toBe(true);
    const rec = (await base.store.get(record.requestId))!.record;
    // The first attempt failed with the (simulated) crash and was retried by the pipeline.
    expect(rec.pipeline.steps.serverSecret.attempts).toBeGreaterThan(1);
    await assertExactlyOneOfEverything(record.requestId);
  });
});
