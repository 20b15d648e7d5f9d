import { TableClient, type TableTransaction } from '@azure/data-tables';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { PROJECT_ROOT } from '../../dev/paths';

export interface SweepRun {
  tracked: number;
  due: number;
  runMs: number;
  tableOperations: number;
  detail: string;
}

const DAY_MS = 24 * 3600 * 1000;
const RENEW_BEFORE_DAYS = 30;

interface SweepModule {
  sweepDueSecrets: (deps: unknown) => Promise<{ cutoff: string; indexRows: number; pages: number; enqueued: number }>;
}
interface IndexModule {
  SecretExpiryIndex: new (make: (table: string) => TableClient) => unknown;
}
interface DomainModule {
  sweepCutoffBucket: (now: Date, days: number) => string;
  sweepWindowDays: (renewBeforeDays: number) => number;
  expiryBucket: (at: Date) => string;
}

/**
 * The renewal sweep use case (src/shared/lifecycle/sweep.ts) against a private Azurite with 10,000 and 100,000
 * seeded expiry-index rows, 1% due. Every HTTP request of the sweep's TableClient is counted by a pipeline policy.
 * Returns undefined while the sweep use case does not exist, so the report says "not available".
 */
export async function sweepBenchmarks(
  log: (m: string) => void,
  sizes = [10_000, 100_000],
): Promise<SweepRun[] | undefined> {
  const dist = path.join(PROJECT_ROOT, 'dist', 'src', 'shared');
  const files = {
    sweep: path.join(dist, 'lifecycle', 'sweep.js'),
    index: path.join(dist, 'adapters', 'tables', 'secretExpiryIndex.js'),
    domain: path.join(dist, 'domain', 'index.js'),
  };
  if (!existsSync(files.sweep) || !existsSync(files.index)) {
    log('  no sweep use case in src/shared/lifecycle: not available');
    return undefined;
  }
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { sweepDueSecrets } = require(files.sweep) as SweepModule;
  const { SecretExpiryIndex } = require(files.index) as IndexModule;
  const domain = require(files.domain) as DomainModule;
  /* eslint-enable @typescript-eslint/no-require-imports */

  const runs: SweepRun[] = [];
  for (const tracked of sizes) {
    const azurite: RunningAzurite = await startAzurite({});
    try {
      const conn = azurite.connectionString;
      const now = new Date();
      const cutoff = domain.sweepCutoffBucket(now, domain.sweepWindowDays(RENEW_BEFORE_DAYS));
      const cutoffMs = Date.parse(`${cutoff.slice(0, 4)}-${cutoff.slice(4, 6)}-${cutoff.slice(6, 8)}T00:00:00Z`);
      const due = Math.round(tracked / 100);
      // Due rows spread over the days up to the cutoff; the rest over the 365 days after it.
      const rows = Array.from({ length: tracked }, (_, i) => {
        const day = i < due ? -(i % 30) : 1 + (i % 365);
        return {
          partitionKey: domain.expiryBucket(new Date(cutoffMs + day * DAY_MS)),
          rowKey: `bench-${String(i).padStart(7, '0')}`,
          expiresOn: new Date(cutoffMs + day * DAY_MS).toISOString(),
        };
      });
      let tableName = '';
      const seedIndex = new SecretExpiryIndex((name) => {
        tableName = name;
        return TableClient.fromConnectionString(conn, name, { allowInsecureConnection: true });
      }) as { ensureTable(): Promise<void> };
      await seedIndex.ensureTable();
      const seedClient = TableClient.fromConnectionString(conn, tableName, { allowInsecureConnection: true });
      const byPartition = new Map<string, typeof rows>();
      for (const r of rows) byPartition.set(r.partitionKey, [...(byPartition.get(r.partitionKey) ?? []), r]);
      const batches: (typeof rows)[] = [];
      for (const list of byPartition.values())
        for (let i = 0; i < list.length; i += 100) batches.push(list.slice(i, i + 100));
      const seedStart = Date.now();
      let nextBatch = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (nextBatch < batches.length) {
            const batch = batches[nextBatch++]!;
            const actions: TableTransaction['actions'] = batch.map((e) => ['upsert', e, 'Replace']);
            await seedClient.submitTransaction(actions);
          }
        }),
      );
      log(
        `  seeded ${tracked} index rows in ${batches.length} transactions (${((Date.now() - seedStart) / 1000).toFixed(1)} s)`,
      );

      let tableOperations = 0;
      const index = new SecretExpiryIndex((name) => {
        const client = TableClient.fromConnectionString(conn, name, { allowInsecureConnection: true });
        client.pipeline.addPolicy({
          name: 'benchCountRequests',
          sendRequest: (request, next) => {
            tableOperations++;
            return next(request);
          },
        });
        return client;
      });
      let enqueued = 0;
      const start = performance.now();
      const result = await sweepDueSecrets({
        expiryIndex: index,
        // Counted, not sent: the sweep's output is one queue message per due app (reported below).
        renewals: { send: () => ((enqueued += 1), Promise.resolve()) },
        now: () => now,
        renewBeforeDays: RENEW_BEFORE_DAYS,
      });
      const runMs = performance.now() - start;
      runs.push({
        tracked,
        due,
        runMs,
        tableOperations,
        detail:
          `${result.indexRows} index rows read in ${result.pages} page(s), ${enqueued} renewal messages; ` +
          `cutoff ${result.cutoff}`,
      });
      log(`  ${tracked} tracked: ${runMs.toFixed(0)} ms, ${tableOperations} Table operations`);
    } finally {
      await azurite.stop();
    }
  }
  return runs;
}
