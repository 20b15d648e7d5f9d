/**
 * The provisioning state machine. A request is a DAG of steps; each step has a status in a ledger. Pure functions
 * decide which steps may run now (independent steps run in parallel), apply a step's result, derive the request's
 * overall state, restart a failed request from its failed steps, and record every state change in a history.
 *
 *   serverApp ─┬─ serverSecret ───────────────────────────────────────────────┐
 *              ├─ serverServicePrincipal ─┬─ appRoleConsent (userDiscovery) ───┤
 *              │                          └──────────┐                         │
 *              └─ clientApp ─┬─ clientRedirect ──────┼─────────────────────────┤
 *                            └─ clientServicePrincipal ┬─ delegatedGrant ──────┼─ verify ─ complete
 *                                                      └─ clientGraphGrant ────┘
 */
import { DomainInvariantError, IllegalTransitionError } from './errors';
import type { Action } from './serviceCatalog';

export const STEP_NAMES = [
  'serverApp',
  'serverSecret',
  'serverServicePrincipal',
  'clientApp',
  'clientRedirect',
  'clientServicePrincipal',
  'appRoleConsent',
  'delegatedGrant',
  'clientGraphGrant',
  'verify',
  'complete',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** Dependencies of the create action. Skipped steps count as satisfied. */
export const CREATE_DEPENDENCIES: Readonly<Record<StepName, readonly StepName[]>> = Object.freeze({
  serverApp: [],
  serverSecret: ['serverApp'],
  serverServicePrincipal: ['serverApp'],
  clientApp: ['serverApp'],
  clientRedirect: ['clientApp'],
  clientServicePrincipal: ['clientApp'],
  appRoleConsent: ['serverServicePrincipal'],
  delegatedGrant: ['clientServicePrincipal', 'serverServicePrincipal'],
  clientGraphGrant: ['clientServicePrincipal'],
  verify: [
    'serverSecret',
    'serverServicePrincipal',
    'clientRedirect',
    'clientServicePrincipal',
    'appRoleConsent',
    'delegatedGrant',
    'clientGraphGrant',
  ],
  complete: ['verify'],
});

/**
 * Dependencies of the import action: the existing apps are verified first, then a new secret is added to the
 * server app (the Import dialog needs a secret key and an existing one can't be read back), then completion.
 */
export const IMPORT_DEPENDENCIES: Readonly<Partial<Record<StepName, readonly StepName[]>>> = Object.freeze({
  verify: [],
  serverSecret: ['verify'],
  complete: ['serverSecret'],
});

export const STEP_STATUSES = ['Pending', 'Running', 'RetryWaiting', 'Succeeded', 'Failed', 'Skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const REQUEST_STATES = ['Accepted', 'Running', 'Succeeded', 'Failed'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/**
 * Every allowed state change. Running → Running is a new attempt of a step whose worker was lost (queue messages
 * are delivered at least once). Failed → Pending is a retry requested by an operator.
 */
export const ALLOWED_TRANSITIONS = Object.freeze({
  step: Object.freeze({
    Pending: ['Running'],
    Running: ['Running', 'Succeeded', 'RetryWaiting', 'Failed'],
    RetryWaiting: ['Running'],
    Failed: ['Pending'],
    Succeeded: [],
    Skipped: [],
  } satisfies Record<StepStatus, readonly StepStatus[]>),
  request: Object.freeze({
    Accepted: ['Running'],
    Running: ['Succeeded', 'Failed'],
    Failed: ['Running'],
    Succeeded: [],
  } satisfies Record<RequestState, readonly RequestState[]>),
});

export interface PlanOptions {
  readonly action: Action;
  readonly userDiscovery: boolean;
  /** Whether the service uses a native (client) app (service catalog). */
  readonly nativeApp: boolean;
}

export interface PlannedStep {
  readonly applicable: boolean;
  readonly dependsOn: readonly StepName[];
}

const CLIENT_STEPS: readonly StepName[] = [
  'clientApp',
  'clientRedirect',
  'clientServicePrincipal',
  'delegatedGrant',
  'clientGraphGrant',
];

/** Which steps a request needs, and what each waits for. */
export function planSteps(options: PlanOptions): Record<StepName, PlannedStep> {
  const plan = {} as Record<StepName, PlannedStep>;
  for (const step of STEP_NAMES) {
    if (options.action === 'import') {
      const deps = IMPORT_DEPENDENCIES[step];
      plan[step] = { applicable: deps !== undefined, dependsOn: deps ?? [] };
    } else {
      const applicable =
        (step !== 'appRoleConsent' || options.userDiscovery) && (options.nativeApp || !CLIENT_STEPS.includes(step));
      plan[step] = { applicable, dependsOn: CREATE_DEPENDENCIES[step] };
    }
  }
  return plan;
}

export interface StepError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  /** Graph's Retry-After, when it sent one. */
  readonly retryAfterSeconds?: number;
}

export interface StepRecord {
  readonly status: StepStatus;
  readonly dependsOn: readonly StepName[];
  readonly attempts: number;
  /** Attempts allowed in total; a retry of a failed request raises it. */
  readonly attemptLimit: number;
  readonly outputs?: Readonly<Record<string, string>>;
  readonly lastError?: StepError;
  readonly retryAt?: string;
  readonly updatedAt?: string;
}

export interface HistoryEntry {
  readonly at: string;
  /** 'request' or the step's name. */
  readonly subject: 'request' | StepName;
  readonly from: string;
  readonly to: string;
  readonly attempt?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface PipelineState {
  readonly requestId: string;
  readonly state: RequestState;
  readonly steps: Readonly<Record<StepName, StepRecord>>;
  readonly history: readonly HistoryEntry[];
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 2_000,
  maxDelayMs: 300_000,
});

export type StepEvent =
  | { readonly type: 'started' }
  | { readonly type: 'succeeded'; readonly outputs?: Readonly<Record<string, string>> }
  | { readonly type: 'failed'; readonly error: StepError };

/** Output keys that would put a secret into the ledger (which is stored in a table); refused. */
export const FORBIDDEN_OUTPUT_KEYS: readonly string[] = ['secretText', 'secretValue', 'password', 'clientSecret'];

/** Creates the ledger of a new request: applicable steps Pending, the others Skipped; the request Accepted. */
export function createPipeline(
  requestId: string,
  options: PlanOptions,
  now: Date,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): PipelineState {
  const plan = planSteps(options);
  const steps = {} as Record<StepName, StepRecord>;
  for (const step of STEP_NAMES) {
    const p = plan[step];
    steps[step] = {
      status: p.applicable ? 'Pending' : 'Skipped',
      dependsOn: p.dependsOn,
      attempts: 0,
      attemptLimit: policy.maxAttempts,
    };
  }
  return {
    requestId,
    state: 'Accepted',
    steps,
    history: [{ at: now.toISOString(), subject: 'request', from: 'None', to: 'Accepted' }],
  };
}

function depsSatisfied(steps: Readonly<Record<StepName, StepRecord>>, step: StepName): boolean {
  return steps[step].dependsOn.every((d) => steps[d].status === 'Succeeded' || steps[d].status === 'Skipped');
}

function isDue(record: StepRecord, now: Date): boolean {
  return record.retryAt === undefined || Date.parse(record.retryAt) <= now.getTime();
}

/** Steps that may start now: Pending or due RetryWaiting, every dependency Succeeded or Skipped. */
export function runnableSteps(state: PipelineState, now: Date): StepName[] {
  return STEP_NAMES.filter((step) => {
    const r = state.steps[step];
    return (
      (r.status === 'Pending' || (r.status === 'RetryWaiting' && isDue(r, now))) && depsSatisfied(state.steps, step)
    );
  });
}

/** The request's overall state, derived from its steps. */
export function computeRequestState(steps: Readonly<Record<StepName, StepRecord>>): RequestState {
  const records = STEP_NAMES.map((s) => steps[s]);
  if (records.every((r) => r.status === 'Succeeded' || r.status === 'Skipped')) return 'Succeeded';
  const active = records.some((r) => r.status === 'Running' || r.status === 'RetryWaiting');
  const canStart = STEP_NAMES.some((s) => steps[s].status === 'Pending' && depsSatisfied(steps, s));
  if (records.some((r) => r.status === 'Failed') && !active && !canStart) return 'Failed';
  if (records.some((r) => r.attempts > 0 || r.status === 'Succeeded')) return 'Running';
  return 'Accepted';
}

/** Exponential backoff with an injected jitter in [0, 1] (1 = no reduction); Graph's Retry-After wins. */
export function retryDelayMs(attempt: number, policy: RetryPolicy, retryAfterSeconds?: number, jitter = 1): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds >= 0) return Math.ceil(retryAfterSeconds * 1000);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const j = Math.min(1, Math.max(0, jitter));
  return Math.round(exp * (0.5 + 0.5 * j));
}

function assertStepTransition(step: StepName, from: StepStatus, to: StepStatus, reason?: string): void {
  if (!(ALLOWED_TRANSITIONS.step[from] as readonly StepStatus[]).includes(to)) {
    throw new IllegalTransitionError(`step ${step}`, from, to, reason);
  }
}

function withRequestState(
  state: PipelineState,
  steps: Record<StepName, StepRecord>,
  history: HistoryEntry[],
  at: string,
): PipelineState {
  const next = computeRequestState(steps);
  if (next !== state.state) {
    if (!(ALLOWED_TRANSITIONS.request[state.state] as readonly RequestState[]).includes(next)) {
      throw new IllegalTransitionError('request', state.state, next);
    }
    history.push({ at, subject: 'request', from: state.state, to: next });
  }
  return { ...state, state: next, steps, history };
}

/**
 * Applies one step event: `started` (an attempt begins), `succeeded` (with outputs), or `failed` (retryable errors
 * wait for a backoff while attempts remain; terminal ones, or the last attempt, fail the step). Throws
 * IllegalTransitionError for anything the transition table, the dependencies or the backoff don't allow.
 */
export function applyStepEvent(
  state: PipelineState,
  step: StepName,
  event: StepEvent,
  now: Date,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  jitter = 1,
): PipelineState {
  const at = now.toISOString();
  const current = state.steps[step];
  let next: StepRecord;
  let entry: HistoryEntry;
  switch (event.type) {
    case 'started': {
      assertStepTransition(step, current.status, 'Running');
      if (current.status !== 'Running') {
        if (!depsSatisfied(state.steps, step)) {
          throw new IllegalTransitionError(`step ${step}`, current.status, 'Running', 'dependencies not satisfied');
        }
        if (!isDue(current, now)) {
          throw new IllegalTransitionError(
            `step ${step}`,
            current.status,
            'Running',
            `not due before ${current.retryAt}`,
          );
        }
      }
      const { retryAt: _r, ...rest } = current;
      next = { ...rest, status: 'Running', attempts: current.attempts + 1, updatedAt: at };
      entry = { at, subject: step, from: current.status, to: 'Running', attempt: next.attempts };
      break;
    }
    case 'succeeded': {
      assertStepTransition(step, current.status, 'Succeeded');
      const outputs = event.outputs ?? {};
      const forbidden = Object.keys(outputs).find((k) => FORBIDDEN_OUTPUT_KEYS.includes(k));
      if (forbidden !== undefined) {
        throw new DomainInvariantError(
          'SECRET_IN_STEP_OUTPUTS',
          `Step ${step} tried to record '${forbidden}' in the ledger.`,
        );
      }
      next = { ...current, status: 'Succeeded', outputs: { ...(current.outputs ?? {}), ...outputs }, updatedAt: at };
      entry = { at, subject: step, from: current.status, to: 'Succeeded', attempt: current.attempts };
      break;
    }
    case 'failed': {
      const retry = event.error.retryable && current.attempts < current.attemptLimit;
      const to: StepStatus = retry ? 'RetryWaiting' : 'Failed';
      assertStepTransition(step, current.status, to);
      const error = { code: event.error.code, message: event.error.message };
      next = {
        ...current,
        status: to,
        lastError: event.error,
        updatedAt: at,
        ...(retry
          ? {
              retryAt: new Date(
                now.getTime() + retryDelayMs(current.attempts, policy, event.error.retryAfterSeconds, jitter),
              ).toISOString(),
            }
          : {}),
      };
      entry = { at, subject: step, from: current.status, to, attempt: current.attempts, error };
      break;
    }
  }
  const steps = { ...state.steps, [step]: next };
  return withRequestState(state, steps, [...state.history, entry], at);
}

/**
 * Restarts a Failed request from its failed step(s): they go back to Pending with a fresh attempt budget; the
 * steps that succeeded are kept, so the request resumes where it stopped.
 */
export function retryFailed(
  state: PipelineState,
  now: Date,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): PipelineState {
  if (state.state !== 'Failed') {
    throw new IllegalTransitionError('request', state.state, 'Running', 'only a Failed request can be retried');
  }
  const at = now.toISOString();
  const steps = { ...state.steps };
  const history = [...state.history];
  for (const step of STEP_NAMES) {
    const r = steps[step];
    if (r.status !== 'Failed') continue;
    assertStepTransition(step, 'Failed', 'Pending');
    const { retryAt: _r, ...rest } = r;
    steps[step] = { ...rest, status: 'Pending', attemptLimit: r.attempts + policy.maxAttempts, updatedAt: at };
    history.push({ at, subject: step, from: 'Failed', to: 'Pending' });
  }
  return withRequestState(state, steps, history, at);
}

/** The failed steps of a request, with their last error. */
export function failedSteps(state: PipelineState): { step: StepName; error?: StepError }[] {
  return STEP_NAMES.filter((s) => state.steps[s].status === 'Failed').map((s) => {
    const error = state.steps[s].lastError;
    return error === undefined ? { step: s } : { step: s, error };
  });
}

/** One output recorded by a succeeded step; throws when a later step needs it and it isn't there. */
export function stepOutput(state: PipelineState, step: StepName, key: string): string {
  const v = state.steps[step].outputs?.[key];
  if (v === undefined) throw new DomainInvariantError('STEP_OUTPUT_MISSING', `Step ${step} has no output '${key}'.`);
  return v;
}
