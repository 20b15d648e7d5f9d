import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import {
  RegistrationStore,
  type RegistrationRecord,
  type StoredRegistration,
} from '../adapters/tables/registrationStore';
import { TABLES } from '../adapters/storageNames';
import type { HistoryEntry } from '../domain';
import { callerLabel, SYSTEM_PIPELINE, type CallerIdentity } from './roles';

/**
 * The append-only audit trail: every state change of a registration, with who (the caller identity, or
 * `system:pipeline` for the queue workers) and why. Rows are only ever inserted (createEntity, never update or
 * delete); the API reads them (GET /registrations/{id}/audit) and has no way to write them.
 */
export interface AuditEntry {
  at: string;
  requestId: string;
  /** `request`, a step name, or `record` for a change that is not a state transition. */
  subject: string;
  from: string;
  to: string;
  attempt?: number;
  /** Who: `name:… oid:…`, `app:{appId} oid:{oid}`, or `system:pipeline`. */
  actor: string;
  actorKind: CallerIdentity['kind'];
  actorId: string;
  actorAppId?: string;
  /** Why: the operation that caused it (e.g. `POST /api/registrations`) and, for a failure, the error code and message. */
  reason: string;
}

/** Who is acting in the current async context (set by the HTTP wrapper); the workers act as system:pipeline. */
const actor = new AsyncLocalStorage<{ caller: CallerIdentity; reason: string }>();

export function runAs<T>(caller: CallerIdentity, reason: string, fn: () => Promise<T>): Promise<T> {
  return actor.run({ caller, reason }, fn);
}

export function currentActor(): { caller: CallerIdentity; reason: string } {
  return actor.getStore() ?? { caller: SYSTEM_PIPELINE, reason: 'pipeline' };
}

/** Row keys sort newest first: inverted epoch ms, zero-padded, then a uuid against collisions. */
export function auditRowKey(at: Date): string {
  return `${String(8_640_000_000_000_000 - at.getTime()).padStart(16, '0')}-${randomUUID()}`;
}

type Change = Omit<AuditEntry, 'actor' | 'actorKind' | 'actorId' | 'reason'> & { error?: HistoryEntry['error'] };

function entriesFor(before: RegistrationRecord | undefined, after: RegistrationRecord): Change[] {
  const known = before?.pipeline.history.length ?? 0;
  const fresh = after.pipeline.history.slice(known);
  const out: Change[] = fresh.map((h) => ({
    at: h.at,
    requestId: after.requestId,
    subject: h.subject,
    from: h.from,
    to: h.to,
    ...(h.attempt !== undefined ? { attempt: h.attempt } : {}),
    ...(h.error ? { error: h.error } : {}),
  }));
  if (!before && !fresh.length) {
    out.unshift({
      at: after.createdAt,
      requestId: after.requestId,
      subject: 'request',
      from: 'none',
      to: after.pipeline.state,
    });
  } else if (!fresh.length) {
    const changed = Object.keys(after).filter(
      (k) =>
        k !== 'updatedAt' &&
        JSON.stringify((after as unknown as Record<string, unknown>)[k]) !==
          JSON.stringify((before as unknown as Record<string, unknown>)[k]),
    );
    if (changed.length) {
      out.push({
        at: after.updatedAt,
        requestId: after.requestId,
        subject: 'record',
        from: 'changed',
        to: changed.sort().join(','),
      });
    }
  }
  return out;
}

export class AuditLog {
  #ready: Promise<void> | undefined;
  constructor(private readonly table: TableClient) {}

  ensureTable(): Promise<void> {
    this.#ready ??= this.table.createTable().then(
      () => undefined,
      (err: unknown) => {
        if ((err as { statusCode?: number }).statusCode !== 409) throw err;
      },
    );
    return this.#ready;
  }

  /** Inserts entries (never updates); retried a few times, then the error is thrown. */
  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (!entries.length) return;
    await this.ensureTable();
    for (const e of entries) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.table.createEntity({ partitionKey: e.requestId, rowKey: auditRowKey(new Date(e.at)), ...e });
          break;
        } catch (err) {
          if (attempt >= 3) throw err;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    }
  }

  /** A request's trail, oldest first (at most `limit` entries, the newest ones). */
  async list(requestId: string, limit = 1000): Promise<AuditEntry[]> {
    await this.ensureTable();
    const out: AuditEntry[] = [];
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${requestId.replace(/'/g, "''")}'` },
    });
    for await (const row of rows) {
      const {
        partitionKey: _p,
        rowKey: _r,
        etag: _e,
        timestamp: _t,
        'odata.metadata': _m,
        ...rest
      } = row as Record<string, unknown>;
      out.push(rest as unknown as AuditEntry);
      if (out.length >= limit) break;
    }
    return out.reverse();
  }
}

/**
 * The registration store, audited: every create and every update that changes a record appends what changed (the
 * new pipeline history entries, or the changed fields) with the acting identity. The audit is written after the
 * state change; a failure to write it fails the operation (the queue redelivers, the HTTP caller sees an error).
 */
export class AuditedRegistrationStore extends RegistrationStore {
  constructor(
    makeClient: (table: string) => TableClient,
    readonly audit: AuditLog = new AuditLog(makeClient(TABLES.audit)),
  ) {
    super(makeClient);
  }

  override async create(record: RegistrationRecord): Promise<boolean> {
    const created = await super.create(record);
    if (created) await this.record(undefined, record);
    return created;
  }

  override async update(
    requestId: string,
    change: (current: RegistrationRecord) => RegistrationRecord | undefined,
    maxAttempts?: number,
  ): Promise<StoredRegistration | undefined> {
    let before: RegistrationRecord | undefined;
    let after: RegistrationRecord | undefined;
    const saved = await super.update(
      requestId,
      (current) => {
        before = current;
        after = change(current);
        return after;
      },
      maxAttempts,
    );
    if (saved && after && saved.record === after) await this.record(before, after);
    return saved;
  }

  private async record(before: RegistrationRecord | undefined, after: RegistrationRecord): Promise<void> {
    const { caller, reason } = currentActor();
    const entries: AuditEntry[] = entriesFor(before, after).map(({ error, ...e }) => ({
      ...e,
      actor: callerLabel(caller),
      actorKind: caller.kind,
      actorId: caller.id,
      ...(caller.appId ? { actorAppId: caller.appId } : {}),
      reason: error ? `${reason}: ${error.code}: ${error.message}` : reason,
    }));
    await this.audit.append(entries);
  }
}

/** The audit log behind a store; the composition root always builds an audited store. */
export function auditLogOf(store: RegistrationStore): AuditLog {
  if (!(store instanceof AuditedRegistrationStore)) throw new Error('the registration store is not audited');
  return store.audit;
}
