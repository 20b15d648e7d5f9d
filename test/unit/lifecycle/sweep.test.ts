import type { ExpiryIndexPage } from '../../../src/shared/adapters/tables/secretExpiryIndex';
import type { RenewalMessage, SweepDeps } from '../../../src/shared/lifecycle/ports';
import { sweepDueSecrets } from '../../../src/shared/lifecycle/sweep';

/** The sweep's contract with its index: one bounded range query, paged; one message per app. */
function fakeIndex(rows: { bucket: string; requestId: string }[], pageSize: number) {
  const queries: { lastBucket: string | undefined; token: string | undefined }[] = [];
  return {
    queries,
    due(lastBucket: string | undefined, _size: number, token?: string): Promise<ExpiryIndexPage> {
      queries.push({ lastBucket, token });
      const matching = rows.filter((r) => lastBucket === undefined || r.bucket <= lastBucket);
      const start = Number(token ?? 0);
      const items = matching.slice(start, start + pageSize).map((r) => ({ ...r, expiresOn: '' }));
      const next = start + pageSize < matching.length ? String(start + pageSize) : undefined;
      return Promise.resolve({ items, continuationToken: next });
    },
  };
}

function deps(index: ReturnType<typeof fakeIndex>, renewBeforeDays = 30) {
  const sent: RenewalMessage[] = [];
  const d: SweepDeps = {
    expiryIndex: index,
    renewals: { send: (m) => Promise.resolve(void sent.push(m)) },
    now: () => new Date('2026-06-01T02:00:00Z'),
    renewBeforeDays,
  };
  return { d, sent };
}

describe('the renewal sweep', () => {
  it('asks the index for everything up to today + the window only, and queues one message per app', async () => {
    const index = fakeIndex(
      [
        { bucket: '20260515', requestId: 'a' }, // overdue (expired or awaiting removal)
        { bucket: '20260620', requestId: 'b' },
        { bucket: '20260701', requestId: 'c' }, // exactly 30 days ahead
        { bucket: '20260702', requestId: 'd' }, // beyond the window
        { bucket: '20270101', requestId: 'e' },
      ],
      1000,
    );
    const { d, sent } = deps(index);
    const result = await sweepDueSecrets(d);
    expect(index.queries).toEqual([{ lastBucket: '20260701', token: undefined }]);
    expect(sent.map((m) => m.requestId).sort()).toEqual(['a', 'b', 'c']);
    expect(result).toEqual({ cutoff: '20260701', indexRows: 3, pages: 1, enqueued: 3 });
  });

  it('follows continuation tokens and sends one message for an app listed under two days', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({ bucket: '20260610', requestId: `r${i}` }));
    rows.push({ bucket: '20260501', requestId: 'r3' }); // a stale row for r3
    const index = fakeIndex(rows, 10);
    const { d, sent } = deps(index);
    const result = await sweepDueSecrets(d);
    expect(result.pages).toBe(3);
    expect(sent).toHaveLength(25);
    expect(sent.find((m) => m.requestId === 'r3')?.buckets?.sort()).toEqual(['20260501', '20260610']);
  });

  it('looks further ahead when renewals start earlier than the first notification', async () => {
    const index = fakeIndex([], 10);
    await sweepDueSecrets(deps(index, 60).d);
    expect(index.queries[0]?.lastBucket).toBe('20260731');
  });
});
