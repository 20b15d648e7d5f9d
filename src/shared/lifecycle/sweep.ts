import { sweepCutoffBucket, sweepWindowDays } from '../domain';
import type { SweepDeps } from './ports';

export interface SweepResult {
  /** The last expiry day (yyyyMMdd) queried. */
  cutoff: string;
  /** Index rows read. */
  indexRows: number;
  /** Table query pages read. */
  pages: number;
  /** Queue messages sent: one per due app. */
  enqueued: number;
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The renewal sweep (the timer's use case): one indexed range query on the expiry index — every managed secret
 * whose governing credential expires within the window (`PartitionKey le {today + window}`) — and one queue message
 * per app found. No scan of the registrations table and no Graph call: the per-app work runs in the queue handler.
 */
export async function sweepDueSecrets(deps: SweepDeps): Promise<SweepResult> {
  const cutoff = sweepCutoffBucket(deps.now(), sweepWindowDays(deps.renewBeforeDays));
  const found = new Map<string, string[]>();
  let token: string | undefined;
  let pages = 0;
  let indexRows = 0;
  do {
    const page = await deps.expiryIndex.due(cutoff, deps.pageSize ?? 1000, token);
    pages++;
    indexRows += page.items.length;
    for (const e of page.items) found.set(e.requestId, [...(found.get(e.requestId) ?? []), e.bucket]);
    token = page.continuationToken;
  } while (token);
  await forEachLimit([...found], deps.sendConcurrency ?? 32, ([requestId, buckets]) =>
    deps.renewals.send({ requestId, buckets }),
  );
  return { cutoff, indexRows, pages, enqueued: found.size };
}
