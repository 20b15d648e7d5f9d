import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FixtureApp, makeFixtureApp, RunningHost, startHost, waitFor } from '../../support/localHost';

describe('local host: timer triggers', () => {
  let app: FixtureApp;
  let host: RunningHost | undefined;

  afterEach(async () => {
    await host?.stop();
    host = undefined;
    app?.remove();
  });

  it('fires a six-field schedule on the right second, and keeps the schedule after a failing run', async () => {
    app = makeFixtureApp({ values: { FIXTURE_TIMER_SCHEDULE: '*/2 * * * * *' } });
    host = await startHost(app.dir, ['--timer-status', path.join(app.dir, 'timers')]);
    const runs = await waitFor(
      () => {
        const r = app.readLog().filter((e) => e.fn === 'everyTwoSeconds');
        return r.length >= 2 ? r : undefined;
      },
      15_000,
      'two timer runs',
    );
    for (const run of runs) {
      const at = new Date(run.at as string);
      expect(at.getUTCSeconds() % 2).toBe(0); // an even second...
      expect(at.getUTCMilliseconds()).toBeLessThan(900); // ...soon after it starts
      expect(run.isPastDue).toBe(false);
    }
    // The first run threw; the second still happened, two seconds later.
    expect(runs[0]!.run).toBe(1);
    expect(runs[1]!.run).toBe(2);
    expect(host.output()).toContain('first timer run fails on purpose');
    const gap = new Date(runs[1]!.at as string).getTime() - new Date(runs[0]!.at as string).getTime();
    expect(Math.round(gap / 1000)).toBe(2);
    // the schedule status handed to the function carries Last/Next
    const status = runs[1]!.scheduleStatus as { last: string; next: string };
    expect(new Date(status.next).getTime()).toBeGreaterThan(new Date(status.last).getTime());
  });

  it('runs a missed occurrence at start-up with isPastDue = true', async () => {
    app = makeFixtureApp({ values: { FIXTURE_TIMER_SCHEDULE: '0 0 0 1 1 *' } });
    const statusDir = path.join(app.dir, 'timers');
    mkdirSync(statusDir, { recursive: true });
    const past = new Date(Date.now() - 3600_000).toISOString();
    writeFileSync(
      path.join(statusDir, 'everytwoseconds.json'),
      JSON.stringify({ last: past, next: past, lastUpdated: past }),
    );
    host = await startHost(app.dir, ['--timer-status', statusDir]);
    const run = await waitFor(() => app.readLog().find((e) => e.fn === 'everyTwoSeconds'), 10_000, 'the past-due run');
    expect(run.isPastDue).toBe(true);
  });

  it('does not fire before the next occurrence of a yearly schedule', async () => {
    app = makeFixtureApp({ values: { FIXTURE_TIMER_SCHEDULE: '0 0 0 1 1 *' } });
    host = await startHost(app.dir);
    await new Promise((r) => setTimeout(r, 1500));
    expect(app.readLog().filter((e) => e.fn === 'everyTwoSeconds')).toEqual([]);
    expect(host.output()).toMatch(/Timer 'everyTwoSeconds': next occurrence \d{4}-01-01T00:00:00.000Z/);
  });
});
