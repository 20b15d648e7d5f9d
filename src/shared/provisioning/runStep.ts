import { randomUUID } from 'node:crypto';
import {
  applyStepEvent,
  DEFAULT_RETRY_POLICY,
  getCloud,
  IllegalTransitionError,
  runnableSteps,
  STEP_NAMES,
  type PipelineState,
  type StepError,
  type StepName,
} from '../domain';
import { GraphRequestError } from '../adapters/graph/errors';
import { KeyVaultError } from '../adapters/keyvault/secretStore';
import type { RegistrationRecord } from '../adapters/tables/registrationStore';
import type { Logger, ProvisioningDeps, StepMessage } from './ports';
import { STEP_HANDLERS, VerificationFailedError } from './steps';

function isStepName(value: string): value is StepName {
  return (STEP_NAMES as readonly string[]).includes(value);
}

/** How a failure of a step is recorded: retryable (Graph lag, throttling, 5xx) or terminal. */
export function toStepError(err: unknown): StepError {
  if (err instanceof GraphRequestError) {
    return {
      code: err.code,
      message: `${err.method} ${err.path}: ${err.status || 'network'} ${err.graphCode}: ${err.message}`,
      retryable: err.transient,
      ...(err.retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(err.retryAfterMs / 1000) } : {}),
    };
  }
  if (err instanceof KeyVaultError) {
    return {
      code: err.code,
      message: err.message,
      retryable: err.status === 0 || err.status === 429 || err.status >= 500,
    };
  }
  if (err instanceof VerificationFailedError) return { code: err.code, message: err.message, retryable: true };
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') {
    return { code: err.code, message: err.message, retryable: false };
  }
  // Network-level failures of the SDKs (ECONNRESET, fetch failed) are transient.
  const message = err instanceof Error ? err.message : String(err);
  const transient = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|socket hang up|fetch failed|network/i.test(message);
  return { code: transient ? 'NETWORK_ERROR' : 'STEP_ERROR', message, retryable: transient };
}

export type StepRunResult =
  | { outcome: 'succeeded'; enqueued: StepName[]; ranInline?: { step: StepName; result: StepRunResult } }
  | { outcome: 'retryScheduled'; retryAt: string }
  | { outcome: 'failed'; error: StepError }
  | { outcome: 'skipped'; reason: string };

/**
 * Steps that run in the invocation whose step unblocked them, instead of taking a queue hop: they check the ledger
 * (verify reads Graph only when an answer deviates) and write the hand-off, so a hop would cost more than their
 * work. They are claimed, leased and recorded like any step; a crash re-queues them from the finished step's
 * redelivery ('already done' queues what is runnable).
 */
export const INLINE_STEPS: readonly StepName[] = ['verify', 'complete'];

/**
 * The Pending steps that may start now — with `after`, only those that wait for that step: each step is queued by
 * the completion of the last step it waited for, so a finished step queues what it unblocked and not, again, what
 * earlier steps queued and is still waiting in the queue (every completion re-queueing every runnable step made
 * duplicate deliveries multiply with the queue's depth).
 */
function pendingRunnable(pipeline: PipelineState, now: Date, after?: StepName): StepName[] {
  return runnableSteps(pipeline, now).filter(
    (s) =>
      pipeline.steps[s].status === 'Pending' && (after === undefined || pipeline.steps[s].dependsOn.includes(after)),
  );
}

/** Queues the steps that may start now (see pendingRunnable); duplicates are harmless: done or leased is skipped. */
export async function enqueueRunnable(
  deps: ProvisioningDeps,
  pipeline: PipelineState,
  requestId: string,
  after?: StepName,
): Promise<StepName[]> {
  const runnable = pendingRunnable(pipeline, deps.now(), after);
  await Promise.all(runnable.map((step) => deps.steps.send({ requestId, step })));
  return runnable;
}

/**
 * Runs one step of one request (the queue handler's use case). At-least-once delivery is expected: a step that is
 * done re-queues its successors; one that another worker holds a live lease on is skipped; a stale lease (a worker
 * that died) is taken over. Retryable failures are recorded with their backoff and the step is queued again for
 * that time; terminal ones fail the step (and the request). Storage failures throw, for the queue to retry.
 */
export async function runStep(deps: ProvisioningDeps, message: StepMessage, log: Logger): Promise<StepRunResult> {
  if (!isStepName(message.step)) return { outcome: 'skipped', reason: `unknown step '${message.step}'` };
  const step = message.step;
  const owner = randomUUID();
  let skip: string | undefined;

  // 1. Claim the step: Running, attempt + 1, a lease.
  const claimed = await deps.store.update(message.requestId, (current) => {
    skip = undefined;
    const rec = current;
    const record = rec.pipeline.steps[step];
    const now = deps.now();
    if (record.status === 'Succeeded' || record.status === 'Skipped') return ((skip = 'done'), undefined);
    if (record.status === 'Failed') return ((skip = 'failed'), undefined);
    const lease = rec.leases?.[step];
    if (record.status === 'Running' && lease && Date.parse(lease.until) > now.getTime()) {
      return ((skip = `leased by another worker until ${lease.until}`), undefined);
    }
    if (record.status === 'RetryWaiting' && record.retryAt && Date.parse(record.retryAt) > now.getTime()) {
      return ((skip = 'notDue'), undefined);
    }
    let pipeline: PipelineState;
    try {
      pipeline = applyStepEvent(rec.pipeline, step, { type: 'started' }, now);
    } catch (err) {
      if (err instanceof IllegalTransitionError) return ((skip = err.message), undefined);
      throw err;
    }
    const leases = {
      ...rec.leases,
      [step]: { owner, until: new Date(now.getTime() + deps.stepLeaseMs).toISOString() },
    };
    return { ...rec, pipeline, leases, updatedAt: now.toISOString() };
  });
  if (!claimed) {
    // The row is not there (yet): the message may have overtaken the request's creation. Throw to retry.
    throw new Error(`registration ${message.requestId} not found`);
  }
  if (skip === 'done') {
    const pipeline = claimed.record.pipeline;
    // Its successors again: the messages its run sent may have been lost with its worker.
    const enqueued = await enqueueRunnable(deps, pipeline, message.requestId, step);
    // A step this message ran (or was about to run) inline may have died with its worker: Running, or Pending with
    // its dependencies done, and no message of its own brings it back. Queue it; a Running one's lease decides (a
    // live worker keeps it, a dead one's lease runs out).
    const runnableNow = pendingRunnable(pipeline, deps.now());
    const stranded = INLINE_STEPS.filter(
      (s) => !enqueued.includes(s) && (pipeline.steps[s].status === 'Running' || runnableNow.includes(s)),
    );
    await Promise.all(stranded.map((s) => deps.steps.send({ requestId: message.requestId, step: s })));
    enqueued.push(...stranded);
    return { outcome: 'skipped', reason: `already done; queued ${enqueued.join(', ') || 'nothing'}` };
  }
  const retryAt = claimed.record.pipeline.steps[step].retryAt;
  if (skip === 'notDue' && retryAt) {
    // Delivered before its backoff ended (clock skew, a duplicate): queue it again for the right time.
    const delaySeconds = Math.max(1, (Date.parse(retryAt) - deps.now().getTime()) / 1000);
    await deps.steps.send({ requestId: message.requestId, step }, { delaySeconds });
    return { outcome: 'retryScheduled', retryAt };
  }
  const lease = claimed.record.leases?.[step];
  if (skip?.startsWith('leased') && lease) {
    // Another worker holds the step — or held it and died (killed, storage lost mid-step). Look again when the
    // lease ends: by then a live worker has finished it (and this is a harmless 'done'), a dead one is taken over.
    const delaySeconds = Math.max(1, Math.ceil((Date.parse(lease.until) - deps.now().getTime()) / 1000) + 1);
    await deps.steps.send({ requestId: message.requestId, step }, { delaySeconds });
    return { outcome: 'retryScheduled', retryAt: lease.until };
  }
  if (skip) return { outcome: 'skipped', reason: skip };

  // 2. Do the work.
  const { record } = claimed;
  const request = record.request;
  const cloud = getCloud(request.cloud);
  let outputs: Record<string, string> | undefined;
  let failure: StepError | undefined;
  try {
    outputs = await STEP_HANDLERS[step]({
      requestId: message.requestId,
      request,
      pipeline: record.pipeline,
      graph: deps.graphFor(request.tenantId, cloud),
      secrets: deps.secrets,
      expiryIndex: deps.expiryIndex,
      proveClientSecret: deps.proveClientSecret,
      now: deps.now(),
    });
  } catch (err) {
    failure = toStepError(err);
    log.warn(
      `step ${step} of ${message.requestId} failed (${failure.retryable ? 'retryable' : 'terminal'}): ${failure.message}`,
    );
  }

  // 3. Record the result (only if we still own the lease) and queue what comes next.
  let result: StepRunResult = { outcome: 'skipped', reason: 'lease lost' };
  const saved = await deps.store.update(message.requestId, (current) => {
    const rec = current;
    if (rec.leases?.[step]?.owner !== owner || rec.pipeline.steps[step].status !== 'Running') return undefined;
    const now = deps.now();
    const { handoff, ...ledgerOutputs } = outputs ?? {};
    const pipeline = applyStepEvent(
      rec.pipeline,
      step,
      failure ? { type: 'failed', error: failure } : { type: 'succeeded', outputs: ledgerOutputs },
      now,
      DEFAULT_RETRY_POLICY,
      0.5 + deps.random() / 2,
    );
    const { [step]: _released, ...leases } = rec.leases ?? {};
    const next: RegistrationRecord = { ...rec, pipeline, leases, updatedAt: now.toISOString() };
    if (handoff !== undefined) next.outputs = JSON.parse(handoff) as unknown;
    return next;
  });
  if (!saved || saved.record.pipeline.steps[step].status === 'Running') return result;

  const pipeline = saved.record.pipeline;
  const status = pipeline.steps[step];
  if (status.status === 'Succeeded') {
    const runnable = pendingRunnable(pipeline, deps.now(), step);
    const inline = runnable.length === 1 && INLINE_STEPS.includes(runnable[0]!) ? runnable[0] : undefined;
    if (inline) {
      const next = await runStep(deps, { requestId: message.requestId, step: inline }, log);
      result = { outcome: 'succeeded', enqueued: [], ranInline: { step: inline, result: next } };
    } else {
      result = { outcome: 'succeeded', enqueued: await enqueueRunnable(deps, pipeline, message.requestId, step) };
    }
  } else if (status.status === 'RetryWaiting' && status.retryAt) {
    const delaySeconds = Math.max(0, (Date.parse(status.retryAt) - deps.now().getTime()) / 1000);
    await deps.steps.send({ requestId: message.requestId, step }, { delaySeconds });
    result = { outcome: 'retryScheduled', retryAt: status.retryAt };
  } else {
    result = { outcome: 'failed', error: status.lastError ?? failure! };
  }
  if (pipeline.state === 'Succeeded' || pipeline.state === 'Failed') {
    if (record.pipeline.state !== pipeline.state && saved.record.request.callbackUrl) {
      await deps.callbacks.send({ requestId: message.requestId });
    }
  }
  return result;
}

/**
 * The poison-queue handler's use case: a step whose message failed every delivery (the worker crashed or storage
 * failed each time) is marked Failed with a reason an operator can act on, which fails the request.
 */
export async function failPoisonedStep(
  deps: ProvisioningDeps,
  message: StepMessage,
  dequeueCount: number,
): Promise<void> {
  if (!isStepName(message.step)) return;
  const step = message.step;
  const reason: StepError = {
    code: 'STEP_DELIVERY_EXHAUSTED',
    message:
      `The ${step} step failed ${dequeueCount} deliveries without recording a result (worker crash or storage ` +
      `failure). Check the Function App logs for this request id, then POST /api/registrations/${message.requestId}/retry.`,
    retryable: false,
  };
  const saved = await deps.store.update(message.requestId, (current) => {
    const rec = current;
    const status = rec.pipeline.steps[step].status;
    if (status === 'Succeeded' || status === 'Skipped' || status === 'Failed') return undefined;
    const now = deps.now();
    let pipeline = rec.pipeline;
    if (status !== 'Running') {
      try {
        pipeline = applyStepEvent(pipeline, step, { type: 'started' }, now);
      } catch {
        return undefined;
      }
    }
    pipeline = applyStepEvent(pipeline, step, { type: 'failed', error: reason }, now);
    const { [step]: _released, ...leases } = rec.leases ?? {};
    return { ...rec, pipeline, leases, updatedAt: now.toISOString() };
  });
  if (saved?.record.pipeline.state === 'Failed' && saved.record.request.callbackUrl) {
    await deps.callbacks.send({ requestId: message.requestId });
  }
}
