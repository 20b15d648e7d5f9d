/** A dependency the service needs, and how to tell whether it answers. */
export interface HealthProbe {
  name: string;
  /** Where it is (no credentials), shown to operators. */
  target: string | undefined;
  /** Resolves when the dependency answered; rejects with the reason otherwise. */
  check(signal: AbortSignal): Promise<void>;
}

export interface DependencyHealth {
  name: string;
  target: string | null;
  status: 'ok' | 'unreachable' | 'not-configured';
  latencyMs: number | null;
  error?: string;
}

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  checkedAt: string;
  dependencies: DependencyHealth[];
}

/** Probes every dependency in parallel, each bounded by `timeoutMs`. Unconfigured ones do not fail the report. */
export async function checkHealth(
  probes: HealthProbe[],
  timeoutMs = 5000,
  now = () => new Date(),
): Promise<HealthReport> {
  const dependencies = await Promise.all(
    probes.map(async (probe): Promise<DependencyHealth> => {
      if (!probe.target) return { name: probe.name, target: null, status: 'not-configured', latencyMs: null };
      const started = Date.now();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      try {
        await Promise.race([
          probe.check(controller.signal),
          new Promise<never>((_, reject) =>
            controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error)),
          ),
        ]);
        return { name: probe.name, target: probe.target, status: 'ok', latencyMs: Date.now() - started };
      } catch (err) {
        return {
          name: probe.name,
          target: probe.target,
          status: 'unreachable',
          latencyMs: Date.now() - started,
          error: err instanceof Error ? err.message : String(err),
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    status: dependencies.some((d) => d.status === 'unreachable') ? 'unhealthy' : 'healthy',
    checkedAt: now().toISOString(),
    dependencies,
  };
}
