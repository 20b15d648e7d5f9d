import { randomUUID } from 'node:crypto';
import type { BenchStack } from './stack';

export interface IntakeRun {
  callers: number;
  requests: number;
  durationMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * `callers` concurrent loops POSTing new CMG tickets to the local host (loopback only), with Node's fetch (undici),
 * until `maxRequests` were sent or `maxMs` passed. Latency is measured per request from send to the full body.
 */
export async function intakeLoad(
  stack: BenchStack,
  options: { callers: number; maxRequests: number; maxMs: number; warmup: number },
): Promise<IntakeRun> {
  const tenantId = stack.info.tenants[0]!.tenantId;
  const url = `${stack.info.functions.api}/registrations`;
  if (!/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(url)) throw new Error(`not loopback: ${url}`);
  const run = randomUUID().slice(0, 8);
  let next = 0;
  const body = (i: number): string =>
    JSON.stringify({
      ticketId: `INTAKE-${run}-${i}`,
      requestedBy: 'bench@contoso.com',
      service: 'CloudManagement',
      action: 'create',
      tenantId,
      tenantName: 'contoso.onmicrosoft.com',
      cloud: 'AzurePublicCloud',
      serverApp: { displayName: `CMG-Intake-${i}`, appIdUri: `api://${tenantId}/CMG-Intake-${run}-${i}` },
      clientApp: { displayName: `CMG-IntakeClient-${i}` },
    });
  const one = async (): Promise<{ ms: number; status: number }> => {
    const i = next++;
    const t = performance.now();
    const res = await fetch(url, { method: 'POST', headers: stack.headers, body: body(i) });
    await res.arrayBuffer();
    return { ms: performance.now() - t, status: res.status };
  };

  // Warm-up (not measured): first invocations compile, open connections and create tables/queues.
  for (let i = 0; i < options.warmup; i += options.callers) {
    await Promise.all(Array.from({ length: Math.min(options.callers, options.warmup - i) }, one));
  }

  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const start = performance.now();
  const stopAt = start + options.maxMs;
  let sent = 0;
  await Promise.all(
    Array.from({ length: options.callers }, async () => {
      while (sent < options.maxRequests && performance.now() < stopAt) {
        sent++;
        try {
          const r = await one();
          latencies.push(r.ms);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        } catch {
          statuses.error = (statuses.error ?? 0) + 1;
        }
      }
    }),
  );
  const durationMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    callers: options.callers,
    requests: latencies.length,
    durationMs,
    perSecond: (latencies.length / durationMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? NaN,
    statuses,
  };
}
