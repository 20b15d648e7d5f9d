import fc from 'fast-check';
import {
  ALLOWED_TRANSITIONS,
  DEFAULT_RETRY_POLICY,
  STEP_NAMES,
  applyStepEvent,
  computeRequestState,
  createPipeline,
  failedSteps,
  planSteps,
  retryDelayMs,
  retryFailed,
  runnableSteps,
  stepOutput,
  type PipelineState,
  type PlanOptions,
  type StepName,
} from '../../../src/shared/domain/pipeline';
import { DomainInvariantError, IllegalTransitionError } from '../../../src/shared/domain/errors';
import { REQUEST_ID } from './fixtures';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const CMG: PlanOptions = { action: 'create', userDiscovery: true, nativeApp: true };

function succeed(s: PipelineState, step: StepName, now = T0, outputs?: Record<string, string>): PipelineState {
  const started = applyStepEvent(s, step, { type: 'started' }, now);
  return applyStepEvent(started, step, outputs ? { type: 'succeeded', outputs } : { type: 'succeeded' }, now);
}

function runAll(s: PipelineState, now = T0): PipelineState {
  let state = s;
  for (let r = runnableSteps(state, now); r.length > 0; r = runnableSteps(state, now)) {
    for (const step of r) state = succeed(state, step, now);
  }
  return state;
}

describe('plan', () => {
  it('create: the dependency DAG of the brief, plus the client Graph consent', () => {
    const plan = planSteps(CMG);
    const deps = Object.fromEntries(STEP_NAMES.map((s) => [s, [...plan[s].dependsOn].sort()]));
    expect(deps).toEqual({
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
        'appRoleConsent',
        'clientGraphGrant',
        'clientRedirect',
        'clientServicePrincipal',
        'delegatedGrant',
        'serverSecret',
        'serverServicePrincipal',
      ],
      complete: ['verify'],
    });
    expect(STEP_NAMES.every((s) => plan[s].applicable)).toBe(true);
  });

  it('appRoleConsent only with user discovery', () => {
    expect(planSteps({ ...CMG, userDiscovery: false }).appRoleConsent.applicable).toBe(false);
  });

  it('no client steps for a service without a native app', () => {
    const plan = planSteps({ action: 'create', userDiscovery: false, nativeApp: false });
    expect(STEP_NAMES.filter((s) => plan[s].applicable)).toEqual([
      'serverApp',
      'serverSecret',
      'serverServicePrincipal',
      'verify',
      'complete',
    ]);
  });

  it('import: verify the existing apps, then add a secret, then complete', () => {
    const plan = planSteps({ ...CMG, action: 'import' });
    expect(STEP_NAMES.filter((s) => plan[s].applicable)).toEqual(['serverSecret', 'verify', 'complete']);
    expect(plan.verify.dependsOn).toEqual([]);
    expect(plan.serverSecret.dependsOn).toEqual(['verify']);
    expect(plan.complete.dependsOn).toEqual(['serverSecret']);
  });
});

describe('ledger', () => {
  it('starts Accepted with every applicable step Pending', () => {
    const s = createPipeline(REQUEST_ID, { ...CMG, userDiscovery: false }, T0);
    expect(s.state).toBe('Accepted');
    expect(s.steps.appRoleConsent.status).toBe('Skipped');
    expect(s.steps.serverApp).toMatchObject({ status: 'Pending', attempts: 0, attemptLimit: 5 });
    expect(s.history).toEqual([{ at: T0.toISOString(), subject: 'request', from: 'None', to: 'Accepted' }]);
  });

  it('runs independent steps in parallel, wave by wave', () => {
    let s = createPipeline(REQUEST_ID, CMG, T0);
    expect(runnableSteps(s, T0)).toEqual(['serverApp']);
    s = succeed(s, 'serverApp', T0, { appId: '7078946d-fc1c-43b7-8dee-dd6e6b00d783', objectId: 'o1' });
    expect(runnableSteps(s, T0)).toEqual(['serverSecret', 'serverServicePrincipal', 'clientApp']);
    s = succeed(s, 'clientApp');
    expect(runnableSteps(s, T0)).toEqual([
      'serverSecret',
      'serverServicePrincipal',
      'clientRedirect',
      'clientServicePrincipal',
    ]);
    s = succeed(s, 'clientServicePrincipal');
    expect(runnableSteps(s, T0)).toContain('clientGraphGrant');
    expect(runnableSteps(s, T0)).not.toContain('delegatedGrant');
    s = succeed(s, 'serverServicePrincipal');
    expect(runnableSteps(s, T0)).toEqual(expect.arrayContaining(['appRoleConsent', 'delegatedGrant']));
    expect(runnableSteps(s, T0)).not.toContain('verify');
    expect(stepOutput(s, 'serverApp', 'appId')).toBe('7078946d-fc1c-43b7-8dee-dd6e6b00d783');
    expect(() => stepOutput(s, 'serverApp', 'nope')).toThrow(DomainInvariantError);
  });

  it('goes Accepted → Running → Succeeded and records each change', () => {
    let s = createPipeline(REQUEST_ID, CMG, T0);
    s = applyStepEvent(s, 'serverApp', { type: 'started' }, at(1));
    expect(s.state).toBe('Running');
    expect(s.steps.serverApp).toMatchObject({ status: 'Running', attempts: 1 });
    s = runAll(applyStepEvent(s, 'serverApp', { type: 'succeeded' }, at(2)), at(3));
    expect(s.state).toBe('Succeeded');
    const requestChanges = s.history.filter((h) => h.subject === 'request').map((h) => `${h.from}->${h.to}`);
    expect(requestChanges).toEqual(['None->Accepted', 'Accepted->Running', 'Running->Succeeded']);
    expect(s.history.filter((h) => h.subject === 'verify').map((h) => h.to)).toEqual(['Running', 'Succeeded']);
  });

  it('a retryable failure waits for the backoff, then runs again', () => {
    let s = createPipeline(REQUEST_ID, CMG, T0);
    s = applyStepEvent(s, 'serverApp', { type: 'started' }, T0);
    s = applyStepEvent(
      s,
      'serverApp',
      { type: 'failed', error: { code: 'Request_ResourceNotFound', message: 'lag', retryable: true } },
      T0,
    );
    expect(s.steps.serverApp).toMatchObject({ status: 'RetryWaiting', retryAt: at(2000).toISOString() });
    expect(s.state).toBe('Running');
    expect(runnableSteps(s, at(1999))).toEqual([]);
    expect(() => applyStepEvent(s, 'serverApp', { type: 'started' }, at(1999))).toThrow(IllegalTransitionError);
    expect(runnableSteps(s, at(2000))).toEqual(['serverApp']);
    s = applyStepEvent(s, 'serverApp', { type: 'started' }, at(2000));
    expect(s.steps.serverApp).toMatchObject({ status: 'Running', attempts: 2 });
    expect(s.steps.serverApp).not.toHaveProperty('retryAt');
  });

  it('honours Retry-After', () => {
    let s = applyStepEvent(createPipeline(REQUEST_ID, CMG, T0), 'serverApp', { type: 'started' }, T0);
    s = applyStepEvent(
      s,
      'serverApp',
      { type: 'failed', error: { code: 'TooManyRequests', message: '429', retryable: true, retryAfterSeconds: 30 } },
      T0,
    );
    expect(s.steps.serverApp.retryAt).toBe(at(30_000).toISOString());
  });

  it('fails the step after the last attempt, and the request once nothing else can run', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 2 };
    let s = createPipeline(REQUEST_ID, CMG, T0, policy);
    s = succeed(s, 'serverApp');
    s = succeed(s, 'clientApp');
    const err = { code: 'ServiceUnavailable', message: '503', retryable: true };
    s = applyStepEvent(s, 'serverSecret', { type: 'started' }, T0, policy);
    s = applyStepEvent(s, 'serverSecret', { type: 'failed', error: err }, T0, policy);
    s = applyStepEvent(s, 'serverSecret', { type: 'started' }, at(10_000), policy);
    s = applyStepEvent(s, 'serverSecret', { type: 'failed', error: err }, at(10_000), policy);
    expect(s.steps.serverSecret.status).toBe('Failed');
    expect(s.state).toBe('Running'); // other branches can still run
    s = runAll(s, at(20_000));
    expect(s.state).toBe('Failed');
    expect(s.steps.verify.status).toBe('Pending');
    expect(failedSteps(s)).toEqual([{ step: 'serverSecret', error: err }]);
  });

  it('a terminal error fails the step at once', () => {
    let s = applyStepEvent(createPipeline(REQUEST_ID, CMG, T0), 'serverApp', { type: 'started' }, T0);
    s = applyStepEvent(
      s,
      'serverApp',
      {
        type: 'failed',
        error: {
          code: 'IdentifierUriConflict',
          message: 'Another object with the same value for property identifierUris already exists.',
          retryable: false,
        },
      },
      T0,
    );
    expect(s.steps.serverApp.status).toBe('Failed');
    expect(s.state).toBe('Failed');
    expect(s.history.at(-1)).toEqual({ at: T0.toISOString(), subject: 'request', from: 'Running', to: 'Failed' });
  });

  it('retry restarts a Failed request from its failed step, keeping what succeeded', () => {
    let s = succeed(createPipeline(REQUEST_ID, CMG, T0), 'serverApp');
    s = applyStepEvent(s, 'clientApp', { type: 'started' }, T0);
    s = applyStepEvent(
      s,
      'clientApp',
      { type: 'failed', error: { code: 'Forbidden', message: 'no', retryable: false } },
      T0,
    );
    s = runAll(s);
    expect(s.state).toBe('Failed');
    const retried = retryFailed(s, at(60_000));
    expect(retried.state).toBe('Running');
    expect(retried.steps.clientApp).toMatchObject({ status: 'Pending', attempts: 1, attemptLimit: 6 });
    expect(retried.steps.serverApp.status).toBe('Succeeded');
    expect(runnableSteps(retried, at(60_000))).toEqual(['clientApp']);
    expect(retried.history.slice(-2).map((h) => `${h.subject}:${h.from}->${h.to}`)).toEqual([
      'clientApp:Failed->Pending',
      'request:Failed->Running',
    ]);
    expect(runAll(retried, at(60_000)).state).toBe('Succeeded');
  });

  it('only a Failed request can be retried', () => {
    expect(() => retryFailed(createPipeline(REQUEST_ID, CMG, T0), T0)).toThrow(IllegalTransitionError);
  });

  it("a lost worker's step may be started again (at-least-once delivery)", () => {
    let s = applyStepEvent(createPipeline(REQUEST_ID, CMG, T0), 'serverApp', { type: 'started' }, T0);
    s = applyStepEvent(s, 'serverApp', { type: 'started' }, at(5));
    expect(s.steps.serverApp).toMatchObject({ status: 'Running', attempts: 2 });
  });

  it.each([
    [
      'success of a step never started',
      (s: PipelineState) => applyStepEvent(s, 'serverApp', { type: 'succeeded' }, T0),
    ],
    [
      'failure of a step never started',
      (s: PipelineState) =>
        applyStepEvent(s, 'serverApp', { type: 'failed', error: { code: 'x', message: 'x', retryable: true } }, T0),
    ],
    ['start before the dependencies', (s: PipelineState) => applyStepEvent(s, 'clientApp', { type: 'started' }, T0)],
    [
      'start of a finished step',
      (s: PipelineState) => applyStepEvent(succeed(s, 'serverApp'), 'serverApp', { type: 'started' }, T0),
    ],
    [
      'second success',
      (s: PipelineState) => applyStepEvent(succeed(s, 'serverApp'), 'serverApp', { type: 'succeeded' }, T0),
    ],
    [
      'start of a skipped step',
      () =>
        applyStepEvent(
          createPipeline(REQUEST_ID, { ...CMG, userDiscovery: false }, T0),
          'appRoleConsent',
          { type: 'started' },
          T0,
        ),
    ],
  ])('rejects %s with a typed error', (_what, act) => {
    expect(() => act(createPipeline(REQUEST_ID, CMG, T0))).toThrow(IllegalTransitionError);
  });

  it('pins the transition table', () => {
    expect(ALLOWED_TRANSITIONS).toEqual({
      step: {
        Pending: ['Running'],
        Running: ['Running', 'Succeeded', 'RetryWaiting', 'Failed'],
        RetryWaiting: ['Running'],
        Failed: ['Pending'],
        Succeeded: [],
        Skipped: [],
      },
      request: { Accepted: ['Running'], Running: ['Succeeded', 'Failed'], Failed: ['Running'], Succeeded: [] },
    });
  });

  it('backs off exponentially with a cap and optional jitter', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, p))).toEqual([2000, 4000, 8000, 16000]);
    expect(retryDelayMs(20, p)).toBe(300_000);
    expect(retryDelayMs(3, p, undefined, 0)).toBe(4000);
    expect(retryDelayMs(3, p, 1.5)).toBe(1500);
  });

  it('computes the request state from the steps alone', () => {
    const s = createPipeline(REQUEST_ID, CMG, T0);
    expect(computeRequestState(s.steps)).toBe('Accepted');
    expect(computeRequestState(runAll(s).steps)).toBe('Succeeded');
  });
});

it('refuses secret values in step outputs', () => {
  const s = applyStepEvent(createPipeline(REQUEST_ID, CMG, T0), 'serverApp', { type: 'started' }, T0);
  expect(() => applyStepEvent(s, 'serverApp', { type: 'succeeded', outputs: { secretText: 'abc' } }, T0)).toThrow(
    /secretText/,
  );
  expect(
    applyStepEvent(s, 'serverApp', { type: 'succeeded', outputs: { keyVaultSecretId: 'https://kv' } }, T0).state,
  ).toBe('Running');
});

describe('properties', () => {
  const planArb = fc.record({
    action: fc.constantFrom('create' as const, 'import' as const),
    userDiscovery: fc.boolean(),
    nativeApp: fc.boolean(),
  });
  const moveArb = fc.record({
    pick: fc.nat(),
    outcome: fc.constantFrom('ok', 'ok', 'ok', 'retry', 'fatal'),
    wait: fc.nat(400_000),
  });

  it('steps only start after their dependencies, every state change is allowed, and runs end', () => {
    fc.assert(
      fc.property(planArb, fc.array(moveArb, { maxLength: 200 }), fc.boolean(), (options, moves, doRetry) => {
        let s = createPipeline(REQUEST_ID, options, T0);
        let clock = T0.getTime();
        let retried = false;
        for (const m of moves) {
          clock += m.wait;
          const now = new Date(clock);
          if (s.state === 'Failed' && doRetry && !retried) {
            s = retryFailed(s, now);
            retried = true;
          }
          const runnable = runnableSteps(s, now);
          if (runnable.length === 0) continue;
          const step = runnable[m.pick % runnable.length]!;
          for (const d of s.steps[step].dependsOn) expect(['Succeeded', 'Skipped']).toContain(s.steps[d].status);
          s = applyStepEvent(s, step, { type: 'started' }, now);
          s =
            m.outcome === 'ok'
              ? applyStepEvent(s, step, { type: 'succeeded' }, now)
              : applyStepEvent(
                  s,
                  step,
                  { type: 'failed', error: { code: 'E', message: 'e', retryable: m.outcome === 'retry' } },
                  now,
                );
        }
        // every recorded change is in the table
        for (const h of s.history) {
          if (h.from === 'None') continue;
          const table = (h.subject === 'request' ? ALLOWED_TRANSITIONS.request : ALLOWED_TRANSITIONS.step) as Record<
            string,
            readonly string[]
          >;
          expect(table[h.from]).toContain(h.to);
        }
        // the stored state is the derived one, and Succeeded means every applicable step succeeded
        expect(s.state).toBe(computeRequestState(s.steps));
        if (s.state === 'Succeeded')
          for (const n of STEP_NAMES) expect(['Succeeded', 'Skipped']).toContain(s.steps[n].status);
        // Failed means quiescent: nothing running and nothing can start
        if (s.state === 'Failed') {
          expect(runnableSteps(s, new Date(clock + 1e9))).toEqual([]);
          expect(STEP_NAMES.some((n) => s.steps[n].status === 'Failed')).toBe(true);
        }
        // with only successes from here on, the request ends Succeeded, after one retry if a step failed for good
        const late = new Date(clock + 1e9);
        let end = runAll(s, late);
        expect(end.state === 'Failed').toBe(STEP_NAMES.some((n) => end.steps[n].status === 'Failed'));
        if (end.state === 'Failed') end = runAll(retryFailed(end, late), late);
        expect(end.state).toBe('Succeeded');
      }),
      { numRuns: 300 },
    );
  });
});
