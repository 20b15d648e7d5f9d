import { checkHealth, HealthProbe } from '../../../src/shared/health/checkHealth';

const probe = (name: string, check: HealthProbe['check'], configured = true): HealthProbe => ({
  name,
  target: configured ? `https://${name}` : undefined,
  check,
});

describe('checkHealth', () => {
  it('is healthy when every configured dependency answers, and lists unconfigured ones', async () => {
    const report = await checkHealth([probe('a', () => Promise.resolve()), probe('b', () => Promise.resolve(), false)]);
    expect(report.status).toBe('healthy');
    expect(report.dependencies.map((d) => [d.name, d.status])).toEqual([
      ['a', 'ok'],
      ['b', 'not-configured'],
    ]);
  });

  it('is unhealthy with the reason when one dependency fails', async () => {
    const report = await checkHealth([
      probe('a', () => Promise.resolve()),
      probe('b', () => Promise.reject(new Error('ECONNREFUSED'))),
    ]);
    expect(report.status).toBe('unhealthy');
    expect(report.dependencies[1]).toMatchObject({ name: 'b', status: 'unreachable', error: 'ECONNREFUSED' });
  });

  it('bounds each probe by the timeout', async () => {
    const report = await checkHealth([probe('slow', () => new Promise(() => undefined))], 50);
    expect(report.dependencies[0]).toMatchObject({ status: 'unreachable', error: 'no answer within 50 ms' });
  });
});
