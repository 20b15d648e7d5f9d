import type { RegistrationRecord } from '../../src/shared/adapters/tables/registrationStore';
import type { StepName } from '../../src/shared/domain';
import type { ProvisioningDeps, StepMessage } from '../../src/shared/provisioning/ports';
import { runStep } from '../../src/shared/provisioning/runStep';
import { intercept, TENANT_ID } from './inProcess';

/** Thrown where a test makes a worker die: the message is delivered again after the dead worker's lease ran out. */
export class WorkerDied extends Error {}

export const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface PipelineHarness<D extends ProvisioningDeps = ProvisioningDeps> {
  deps: D;
  queue: StepMessage[];
  /** Every message drain delivered, in order. */
  delivered: StepMessage[];
  crashed: () => boolean;
  advance: (ms: number) => number;
  /** The harness clock, in ms. */
  at: () => number;
}

/**
 * The app's provisioning deps with a clock the test moves and an in-memory step queue; with `crashAfter`, a store
 * whose worker dies once, after doing that step's work and before recording it (`on: 'claim'`: as it claims the
 * step, before doing anything).
 */
export function pipelineHarness<D extends ProvisioningDeps>(
  base: D,
  crashAfter?: StepName,
  on: 'record' | 'claim' = 'record',
): PipelineHarness<D> {
  let now = Date.now();
  const queue: StepMessage[] = [];
  let crashed = false;
  const store = intercept(base.store, (prop) => {
    if (prop !== 'update' || crashAfter === undefined) return undefined;
    return (id: string, change: (r: RegistrationRecord) => RegistrationRecord | undefined) =>
      base.store.update(id, (current) => {
        const next = change(current);
        const before = current.pipeline.steps[crashAfter].status;
        const after = next?.pipeline.steps[crashAfter].status;
        const dies =
          on === 'record' ? before === 'Running' && after !== undefined && after !== 'Running' : after === 'Running';
        if (dies && !crashed) {
          crashed = true;
          throw new WorkerDied(`worker died ${on === 'record' ? 'recording' : 'claiming'} ${crashAfter}`);
        }
        return next;
      });
  });
  const deps: D = {
    ...base,
    store,
    now: () => new Date(now),
    steps: { name: 'memory', send: (m: StepMessage) => Promise.resolve(void queue.push(m)) } as never,
    callbacks: { name: 'memory', send: () => Promise.resolve() } as never,
  };
  return { deps, queue, delivered: [], crashed: () => crashed, advance: (ms: number) => (now += ms), at: () => now };
}

/** Delivers queued messages until the queue is empty; a message whose worker died is delivered again later. */
export async function drain(h: PipelineHarness): Promise<void> {
  for (let i = 0; i < 200 && h.queue.length > 0; i++) {
    const message = h.queue.shift()!;
    h.delivered.push(message);
    try {
      const result = await runStep(h.deps, message, silentLog);
      if (result.outcome === 'retryScheduled') h.advance(Date.parse(result.retryAt) - h.deps.now().getTime() + 1);
    } catch (err) {
      if (!(err instanceof WorkerDied)) throw err;
      h.advance(h.deps.stepLeaseMs + 1000); // the dead worker's lease runs out, the queue redelivers
      h.queue.push(message);
    }
  }
  if (h.queue.length > 0) throw new Error(`queue not drained: ${JSON.stringify(h.queue)}`);
}

/** A CMG create ticket for the demo home tenant; `overrides` replace top-level fields. */
export function cmgTicket(ticketId: string, overrides: Record<string, unknown> = {}) {
  return {
    ticketId,
    requestedBy: 'ops@contoso.com',
    service: 'CloudManagement',
    action: 'create',
    tenantId: TENANT_ID,
    tenantName: 'contoso.onmicrosoft.com',
    cloud: 'AzurePublicCloud',
    serverApp: { displayName: `CMG-${ticketId}`, appIdUri: `api://${TENANT_ID}/${ticketId}` },
    clientApp: { displayName: `CMG-Client-${ticketId}` },
    ...overrides,
  };
}
