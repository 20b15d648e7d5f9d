import { FaultInjector, NO_FAULTS, parseFaultConfig, type FaultConfig, type FaultDecision } from '../common/faults';
import { SeededRandom } from '../common/random';

/**
 * Graph's faults on top of the common ones (latency, 5xx, random 429, dropped connections):
 * replication lag for new objects, a write token bucket per app+tenant, and 409 concurrency violations on
 * back-to-back credential writes to one application.
 */
export interface GraphFaultConfig extends FaultConfig {
  /** A new object stays invisible to reads and references for this long (ms). 0 = off. */
  replicationLagMs: number;
  /** Extra lag per object, drawn uniformly from [0, jitter) with the seed. */
  replicationLagJitterMs: number;
  /** Writes (POST/PATCH/DELETE) an app may make in one tenant before 429; 0 = unlimited. */
  writeBucketCapacity: number;
  /** Tokens the write bucket regains per second. */
  writeBucketRefillPerSecond: number;
  /** A credential write (addPassword/removePassword) to an app less than this long after the previous one → 409. 0 = off. */
  credentialConcurrencyWindowMs: number;
}

export const NO_GRAPH_FAULTS: GraphFaultConfig = Object.freeze({
  ...NO_FAULTS,
  replicationLagMs: 0,
  replicationLagJitterMs: 0,
  writeBucketCapacity: 0,
  writeBucketRefillPerSecond: 20,
  credentialConcurrencyWindowMs: 0,
});

const GRAPH_KEYS = [
  'replicationLagMs',
  'replicationLagJitterMs',
  'writeBucketCapacity',
  'writeBucketRefillPerSecond',
  'credentialConcurrencyWindowMs',
] as const;

/** Validates a (partial) Graph fault configuration; unknown keys are refused, naming them. */
export function parseGraphFaultConfig(input: unknown, base: GraphFaultConfig = NO_GRAPH_FAULTS): GraphFaultConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError('fault configuration must be a JSON object');
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in NO_GRAPH_FAULTS)) throw new TypeError(`unknown fault setting '${key}'`);
  }
  const common = parseFaultConfig(record, base);
  const result: GraphFaultConfig = { ...base, ...common };
  for (const key of GRAPH_KEYS) {
    if (!(key in record)) continue;
    const value = record[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`fault setting '${key}' must be a non-negative number`);
    }
    result[key] = value;
  }
  return result;
}

export type WriteAdmission = { ok: true } | { ok: false; retryAfterSeconds: number };

/** The Graph emulator's fault state; every decision is reproducible from the seed and the call sequence. */
export class GraphFaults {
  #config: GraphFaultConfig = NO_GRAPH_FAULTS;
  #injector = new FaultInjector();
  #lagRandom = new SeededRandom(NO_GRAPH_FAULTS.seed);
  #buckets = new Map<string, { tokens: number; atMs: number }>();
  #credentialWrites = new Map<string, number>();

  constructor(config: Partial<GraphFaultConfig> = {}) {
    this.configure(config);
  }

  get config(): GraphFaultConfig {
    return { ...this.#config };
  }

  /** Replaces the configuration (over the defaults) and restarts every sequence and bucket. */
  configure(config: Partial<GraphFaultConfig>): GraphFaultConfig {
    this.#config = parseGraphFaultConfig(config);
    const common: Partial<FaultConfig> = {};
    for (const key of Object.keys(NO_FAULTS) as (keyof FaultConfig)[]) common[key] = this.#config[key];
    this.#injector = new FaultInjector(common);
    // lag jitter has its own stream, so enabling it does not shift the 5xx/429/drop sequence
    this.#lagRandom = new SeededRandom(this.#config.seed + 0x9e3779b1);
    this.#buckets.clear();
    this.#credentialWrites.clear();
    return this.config;
  }

  reset(): GraphFaultConfig {
    return this.configure({});
  }

  /** The per-call random fault (drop, 5xx, 429). */
  decide(): FaultDecision {
    return this.#injector.decide();
  }

  delay(): Promise<void> {
    return this.#injector.delay();
  }

  /** How long a newly created object stays invisible. */
  lagMs(): number {
    const c = this.#config;
    if (c.replicationLagMs <= 0 && c.replicationLagJitterMs <= 0) return 0;
    const jitter = c.replicationLagJitterMs > 0 ? Math.floor(this.#lagRandom.next() * c.replicationLagJitterMs) : 0;
    return c.replicationLagMs + jitter;
  }

  /** Takes one token from the app+tenant write bucket. */
  admitWrite(key: string, nowMs: number): WriteAdmission {
    const { writeBucketCapacity: capacity, writeBucketRefillPerSecond: refill } = this.#config;
    if (capacity <= 0) return { ok: true };
    const bucket = this.#buckets.get(key) ?? { tokens: capacity, atMs: nowMs };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * refill);
    bucket.atMs = nowMs;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    const retryAfterSeconds = refill > 0 ? Math.max(1, Math.ceil((1 - bucket.tokens) / refill)) : 150;
    return { ok: false, retryAfterSeconds };
  }

  /** Records a credential write to an application; false when it collides with the previous one. */
  admitCredentialWrite(applicationId: string, nowMs: number): boolean {
    const window = this.#config.credentialConcurrencyWindowMs;
    const last = this.#credentialWrites.get(applicationId);
    if (window > 0 && last !== undefined && nowMs - last < window) return false;
    this.#credentialWrites.set(applicationId, nowMs);
    return true;
  }
}
