import { expiryBucket, governingCredential, sweepCutoffBucket } from '../domain';
import type { LifecycleDeps } from './ports';
import { secretView, trackedSecret, type SecretView } from './secrets';

export interface SecretsQuery {
  /** Only secrets whose governing credential expires within this many days (expired ones included). */
  dueWithinDays?: number;
  pageSize: number;
  continuationToken?: string;
}

/**
 * Every managed secret (or those due within N days), from the expiry index in expiry order, with its state and
 * what to do. Paged with the index's continuation token.
 */
export async function listSecrets(
  deps: LifecycleDeps,
  q: SecretsQuery,
): Promise<{ items: SecretView[]; continuationToken: string | undefined }> {
  const now = deps.now();
  const cutoff = q.dueWithinDays === undefined ? undefined : sweepCutoffBucket(now, q.dueWithinDays);
  const page = await deps.expiryIndex.due(cutoff, q.pageSize, q.continuationToken);
  const rows = await Promise.all(page.items.map(async (e) => ({ e, found: await deps.store.get(e.requestId) })));
  const items: SecretView[] = [];
  for (const { e, found } of rows) {
    const s = found ? trackedSecret(found.record, now) : undefined;
    // An index row that is not the secret's current day is stale (the renewal handler removes it).
    if (!found || !s || expiryBucket(governingCredential(s).expiresOn) !== e.bucket) continue;
    const view = secretView(found.record, s, now, deps.renewBeforeDays);
    if (q.dueWithinDays !== undefined && view.daysLeft > q.dueWithinDays) continue;
    items.push(view);
  }
  return { items, continuationToken: page.continuationToken };
}
