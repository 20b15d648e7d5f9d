import { FaultInjector } from '../../dev/emulators/common/faults';

describe('FaultInjector', () => {
  it('replays the same fault sequence for the same seed', () => {
    const run = (seed: number) => {
      const f = new FaultInjector({ seed, serverErrorRate: 0.3, throttleRate: 0.3, dropRate: 0.1 });
      return Array.from({ length: 50 }, () => f.decide().kind).join(',');
    };
    expect(run(42)).toBe(run(42));
    expect(run(42)).not.toBe(run(43));
  });

  it('injects nothing by default', () => {
    const f = new FaultInjector();
    expect(new Set(Array.from({ length: 100 }, () => f.decide().kind))).toEqual(new Set(['none']));
  });

  it('rejects a rate above 1 naming the setting', () => {
    expect(() => new FaultInjector({ throttleRate: 2 })).toThrow(/throttleRate/);
  });
});
