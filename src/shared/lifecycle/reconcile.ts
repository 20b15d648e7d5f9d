import { DomainError, getCloud, repairSteps, type Deviation, type StepName } from '../domain';
import { getRegistration } from '../provisioning/requests';
import { STEP_HANDLERS, verifyAgainstRequirements } from '../provisioning/steps';
import type { StepContext } from '../provisioning/ports';
import type { LifecycleDeps } from './ports';
import { trackedSecret } from './secrets';

export class ReconcileNotPossibleError extends DomainError {
  constructor(id: string, why: string) {
    super({ code: 'RECONCILE_NOT_POSSIBLE', status: 409, title: 'Nothing to reconcile', detail: `${id}: ${why}` });
  }
}

/**
 * Steps drift repair never runs: a missing app is not recreated (a new app would get a new client id that
 * Configuration Manager does not know), and the secret is the lifecycle's business (renew/confirm).
 */
const NOT_REPAIRED: ReadonlySet<StepName> = new Set<StepName>(['serverSecret', 'verify', 'complete']);
const needsRecreate = (d: Deviation): boolean => d.rule === 'SERVER_APP_PRESENT' || d.rule === 'CLIENT_APP_PRESENT';

export interface ReconcileResult {
  dryRun: boolean;
  /** Deviations found before anything was changed. */
  drift: Deviation[];
  /** Steps re-applied (idempotent writes of the required settings), in pipeline order. */
  repaired: StepName[];
  /** Deviations left after the repair (dry run: the same as drift). */
  remaining: Deviation[];
  /** Deviations this endpoint does not repair, and why. */
  notRepaired: { rule: string; reason: string }[];
}

/**
 * "Update Application Settings" as an API: compares the registration's apps, service principals and consents with
 * the seed requirements (the verify step's checks) and, unless `dryRun`, re-applies the required settings with the
 * same idempotent writes the pipeline uses, then checks again and reports what it fixed.
 */
export async function reconcileRegistration(
  deps: LifecycleDeps,
  id: string,
  options: { dryRun: boolean },
): Promise<ReconcileResult> {
  const rec = await getRegistration(deps, id);
  if (rec.decommission) throw new ReconcileNotPossibleError(rec.requestId, 'the registration was decommissioned.');
  if (rec.pipeline.state !== 'Succeeded') {
    throw new ReconcileNotPossibleError(rec.requestId, `the registration is ${rec.pipeline.state}, not Succeeded.`);
  }
  if (rec.request.action === 'import') {
    throw new ReconcileNotPossibleError(rec.requestId, 'imported apps are reported by the import, not repaired.');
  }
  const secret = trackedSecret(rec, deps.now());
  const c: StepContext = {
    requestId: rec.requestId,
    request: rec.request,
    pipeline: rec.pipeline,
    graph: deps.graphFor(rec.request.tenantId, getCloud(rec.request.cloud)),
    secrets: deps.secrets,
    expiryIndex: deps.expiryIndex,
    proveClientSecret: deps.proveClientSecret,
    now: deps.now(),
  };
  const keyId = secret?.current.keyId ?? rec.pipeline.steps.serverSecret.outputs?.keyId ?? '';
  const drift = await verifyAgainstRequirements(c, keyId);
  const notRepaired = drift
    .filter((d) => needsRecreate(d) || NOT_REPAIRED.has(repairSteps([d])[0]!))
    .map((d) => ({
      rule: d.rule,
      reason: needsRecreate(d)
        ? 'the app is gone: restore it from deleted items (a new app would have a new client id)'
        : `renew the secret: POST /api/registrations/${rec.requestId}/secret/renew`,
    }));
  if (options.dryRun || drift.length === 0) {
    return { dryRun: options.dryRun, drift, repaired: [], remaining: drift, notRepaired };
  }
  const steps = drift.some(needsRecreate) ? [] : repairSteps(drift).filter((s) => !NOT_REPAIRED.has(s));
  for (const step of steps) await STEP_HANDLERS[step](c);
  const remaining = steps.length > 0 ? await verifyAgainstRequirements(c, keyId) : drift;
  return { dryRun: false, drift, repaired: steps, remaining, notRepaired };
}
