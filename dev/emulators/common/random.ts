import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * A seeded pseudo-random source: the same seed gives the same sequence, so a fault plan replays exactly.
 */
export class SeededRandom {
  readonly #rng: RandomGenerator;

  constructor(readonly seed: number) {
    this.#rng = xoroshiro128plus(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return uniformFloat64(this.#rng);
  }

  /** True with probability `rate` (0..1). A rate of 0 never consumes randomness, so it does not shift other draws. */
  chance(rate: number): boolean {
    if (rate <= 0) return false;
    if (rate >= 1) return true;
    return this.next() < rate;
  }
}
