import { FixtureApp, makeFixtureApp, RunningHost, startHost } from '../../support/localHost';

describe('local host: lifecycle', () => {
  let app: FixtureApp;
  let host: RunningHost;

  beforeEach(async () => {
    app = makeFixtureApp({});
    host = await startHost(app.dir);
  });

  afterEach(() => app.remove());

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s lets the running invocation finish, then exits 0', async (signal) => {
    const inFlight = fetch(`${host.url}/api/slow?ms=1500`);
    await new Promise((r) => setTimeout(r, 300));
    const exit = host.stop(signal);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    expect(await exit).toBe(0);
    expect(host.output()).toContain('Host stopped.');
  });

  it('prints every function with its trigger at start-up', () => {
    const out = host.output();
    expect(out).toContain(`getRegistration: [GET] ${host.url}/api/registrations/{id}`);
    expect(out).toContain(`workItem: queueTrigger '${app.values.FIXTURE_WORK_QUEUE}'`);
    expect(out).toContain(`everyTwoSeconds: timerTrigger '0 0 0 1 1 *'`);
  });
});
