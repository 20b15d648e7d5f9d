import { parseSchedule } from '../../../dev/host/timers';

const next = (expr: string, from: string, count = 1): string[] => {
  const s = parseSchedule(expr);
  const out: string[] = [];
  let t = new Date(from);
  for (let i = 0; i < count; i++) {
    t = s.next(t);
    out.push(t.toISOString());
  }
  return out;
};

describe('NCRONTAB schedules', () => {
  it('reads six fields with seconds first', () => {
    expect(next('*/15 * * * * *', '2026-01-01T00:00:01Z', 3)).toEqual([
      '2026-01-01T00:00:15.000Z',
      '2026-01-01T00:00:30.000Z',
      '2026-01-01T00:00:45.000Z',
    ]);
    expect(next('0 30 9 * * *', '2026-01-01T10:00:00Z')).toEqual(['2026-01-02T09:30:00.000Z']);
  });

  it("means Friday the 13th for '0 0 0 13 * FRI' (day-of-month AND day-of-week, NCrontab semantics)", () => {
    expect(next('0 0 0 13 * FRI', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-02-13T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
      '2026-11-13T00:00:00.000Z',
    ]);
    for (const iso of next('0 0 0 13 * 5', '2020-01-01T00:00:00Z', 5)) {
      const d = new Date(iso);
      expect([d.getUTCDate(), d.getUTCDay()]).toEqual([13, 5]);
    }
  });

  it('evaluates in UTC by default and in WEBSITE_TIME_ZONE when given', () => {
    const utc = parseSchedule('0 0 9 * * *').next(new Date('2026-06-01T00:00:00Z'));
    expect(utc.toISOString()).toBe('2026-06-01T09:00:00.000Z');
    const berlin = parseSchedule('0 0 9 * * *', 'Europe/Berlin').next(new Date('2026-06-01T00:00:00Z'));
    expect(berlin.toISOString()).toBe('2026-06-01T07:00:00.000Z');
  });

  it('accepts a TimeSpan as a fixed interval', () => {
    expect(next('00:05:00', '2026-01-01T00:00:00Z')).toEqual(['2026-01-01T00:05:00.000Z']);
  });

  it('refuses five-field (minute-first) expressions with a clear message', () => {
    expect(() => parseSchedule('0 * * * *')).toThrow(/six fields/);
  });
});
