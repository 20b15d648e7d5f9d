import { GraphFaults, parseGraphFaultConfig } from '../../../dev/emulators/graph/faults';

describe('GraphFaults', () => {
  it('replays the same decisions for the same seed and differs for another', () => {
    const run = (seed: number) => {
      const f = new GraphFaults({ seed, serverErrorRate: 0.2, throttleRate: 0.2, dropRate: 0.1 });
      return Array.from({ length: 60 }, () => f.decide().kind).join(',');
    };
    expect(run(9)).toBe(run(9));
    expect(run(9)).not.toBe(run(10));
  });

  it('keeps the decision sequence when lag jitter is switched on', () => {
    const decisions = (jitter: number) => {
      const f = new GraphFaults({ seed: 2, throttleRate: 0.5, replicationLagJitterMs: jitter });
      return Array.from({ length: 20 }, () => {
        f.lagMs();
        return f.decide().kind;
      }).join(',');
    };
    expect(decisions(500)).toBe(decisions(0));
  });

  it('refills the write bucket over time and tells how long to wait', () => {
    const f = new GraphFaults({ writeBucketCapacity: 2, writeBucketRefillPerSecond: 0.5 });
    expect(f.admitWrite('t/a', 0)).toEqual({ ok: true });
    expect(f.admitWrite('t/a', 0)).toEqual({ ok: true });
    expect(f.admitWrite('t/a', 0)).toEqual({ ok: false, retryAfterSeconds: 2 });
    expect(f.admitWrite('t/b', 0)).toEqual({ ok: true }); // buckets are per app+tenant
    expect(f.admitWrite('t/a', 1000)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(f.admitWrite('t/a', 2000)).toEqual({ ok: true });
  });

  it('flags a credential write inside the concurrency window, not one after it', () => {
    const f = new GraphFaults({ credentialConcurrencyWindowMs: 100 });
    expect(f.admitCredentialWrite('app', 0)).toBe(true);
    expect(f.admitCredentialWrite('app', 50)).toBe(false);
    expect(f.admitCredentialWrite('other', 50)).toBe(true);
    expect(f.admitCredentialWrite('app', 101)).toBe(true);
  });

  it('validates configuration, naming the bad setting', () => {
    expect(() => parseGraphFaultConfig({ replicationLagMs: -1 })).toThrow(/replicationLagMs/);
    expect(() => parseGraphFaultConfig({ lagMs: 5 })).toThrow(/lagMs/);
    expect(() => parseGraphFaultConfig({ dropRate: 2 })).toThrow(/dropRate/);
    expect(parseGraphFaultConfig({ replicationLagMs: 5 }, parseGraphFaultConfig({ seed: 3 }))).toMatchObject({
      seed: 3,
      replicationLagMs: 5,
    });
  });
});
