import { SeededRandom } from './random';

/**
 * Faults every emulator can inject. Service-specific faults (Graph replication lag, write token buckets,
 * concurrency violations) build on top of this in their own emulator.
 */
export interface FaultConfig {
  /** Seed of the pseudo-random sequence; the same seed and the same calls give the same faults. */
  seed: number;
  /** Fixed latency added to every call, in milliseconds. */
  latencyMs: number;
  /** Share of calls (0..1) answered with a 5xx. */
  serverErrorRate: number;
  /** Share of calls (0..1) answered with 429 and Retry-After. */
  throttleRate: number;
  /** Share of calls (0..1) whose connection is dropped without an answer. */
  dropRate: number;
  /** The Retry-After (seconds) sent with an injected 429. */
  retryAfterSeconds: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'drop' }
  | { kind: 'serverError'; status: 500 | 503 }
  | { kind: 'throttle'; retryAfterSeconds: number };

export const NO_FAULTS: FaultConfig = Object.freeze({
  seed: 1,
  latencyMs: 0,
  serverErrorRate: 0,
  throttleRate: 0,
  dropRate: 0,
  retryAfterSeconds: 1,
});

const RATE_KEYS = ['serverErrorRate', 'throttleRate', 'dropRate'] as const;

/** Validates a partial fault configuration from an admin call or a config file; throws with the field's name. */
export function parseFaultConfig(input: unknown, base: FaultConfig = NO_FAULTS): FaultConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError('fault configuration must be a JSON object');
  }
  const result: FaultConfig = { ...base };
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (!(key in NO_FAULTS)) continue; // service-specific keys are parsed by their emulator
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`fault setting '${key}' must be a non-negative number`);
    }
    if ((RATE_KEYS as readonly string[]).includes(key) && value > 1) {
      throw new TypeError(`fault setting '${key}' is a rate and must be between 0 and 1`);
    }
    (result as unknown as Record<string, number>)[key] = value;
  }
  return result;
}

/**
 * Decides, call by call, whether a fault is injected. Each decision draws from a seeded generator, so a test
 * that sets the same seed sees the same sequence of faults.
 */
export class FaultInjector {
  #config: FaultConfig;
  #random: SeededRandom;

  constructor(config: Partial<FaultConfig> = {}) {
    this.#config = parseFaultConfig(config);
    this.#random = new SeededRandom(this.#config.seed);
  }

  get config(): FaultConfig {
    return { ...this.#config };
  }

  /** The generator behind the decisions, for service-specific faults that must share the seed. */
  get random(): SeededRandom {
    return this.#random;
  }

  /** Replaces the configuration (merged over the defaults, not the current one) and restarts the sequence. */
  configure(config: Partial<FaultConfig>): FaultConfig {
    this.#config = parseFaultConfig(config);
    this.#random = new SeededRandom(this.#config.seed);
    return this.config;
  }

  reset(): void {
    this.configure({});
  }

  decide(): FaultDecision {
    const c = this.#config;
    if (this.#random.chance(c.dropRate)) return { kind: 'drop' };
    if (this.#random.chance(c.serverErrorRate)) {
      return { kind: 'serverError', status: this.#random.chance(0.5) ? 503 : 500 };
    }
    if (this.#random.chance(c.throttleRate)) return { kind: 'throttle', retryAfterSeconds: c.retryAfterSeconds };
    return { kind: 'none' };
  }

  async delay(): Promise<void> {
    if (this.#config.latencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.#config.latencyMs));
    }
  }
}
