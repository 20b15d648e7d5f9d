import type { TableClient } from '@azure/data-tables';
import { TABLES } from '../storageNames';
import { isStatus, tablesSdk } from './sdk';

export interface ExpiryIndexEntry {
  /** `yyyyMMdd` of the expiry of the credential Configuration Manager uses. */
  bucket: string;
  requestId: string;
  expiresOn: string;
}

export interface ExpiryIndexPage {
  items: ExpiryIndexEntry[];
  continuationToken: string | undefined;
}

/**
 * The expiry index of managed secrets: one row per secret, PartitionKey = expiry day (`yyyyMMdd`), RowKey = request
 * id. "Every secret expiring by day D" is a range query on PartitionKey (`PartitionKey le 'D'`), which Table Storage
 * answers from its index — the renewal sweep never scans the registrations table. The index is derived from the
 * registration row (the source of truth) and self-healing: a stale entry is removed when its request is processed.
 */
export class SecretExpiryIndex {
  readonly #table: TableClient;
  #ready: Promise<void> | undefined;

  constructor(makeClient: (table: string) => TableClient) {
    this.#table = makeClient(TABLES.secretExpiry);
  }

  ensureTable(): Promise<void> {
    this.#ready ??= this.#table.createTable().then(
      () => undefined,
      (err: unknown) => {
        if (!isStatus(err, 409)) {
          this.#ready = undefined;
          throw err;
        }
      },
    );
    return this.#ready;
  }

  async put(entry: ExpiryIndexEntry): Promise<void> {
    await this.ensureTable();
    await this.#table.upsertEntity(
      { partitionKey: entry.bucket, rowKey: entry.requestId, expiresOn: entry.expiresOn },
      'Replace',
    );
  }

  /** Removes an entry; one that is not there counts as removed. */
  async remove(bucket: string, requestId: string): Promise<void> {
    await this.ensureTable();
    try {
      await this.#table.deleteEntity(bucket, requestId);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  /** Entries with PartitionKey ≤ `lastBucket` (all when undefined), in expiry order, a page at a time. */
  async due(lastBucket: string | undefined, pageSize: number, continuationToken?: string): Promise<ExpiryIndexPage> {
    await this.ensureTable();
    const pages = this.#table
      .listEntities<{ expiresOn?: string }>({
        queryOptions: {
          ...(lastBucket === undefined ? {} : { filter: tablesSdk().odata`PartitionKey le ${lastBucket}` }),
          select: ['PartitionKey', 'RowKey', 'expiresOn'],
        },
      })
      .byPage(continuationToken ? { maxPageSize: pageSize, continuationToken } : { maxPageSize: pageSize });
    const page = await pages.next();
    if (page.done || !page.value) return { items: [], continuationToken: undefined };
    const value = page.value as unknown as { partitionKey?: string; rowKey?: string; expiresOn?: string }[] & {
      continuationToken?: string;
    };
    return {
      items: value.map((e) => ({
        bucket: String(e.partitionKey),
        requestId: String(e.rowKey),
        expiresOn: String(e.expiresOn ?? ''),
      })),
      continuationToken: value.continuationToken,
    };
  }
}
