import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { createHash } from 'node:crypto';
import type { ManagedSecretState, PipelineState, RegistrationRequest, RequestState } from '../../domain';
import { TABLES } from '../storageNames';
import { readJsonColumns, writeJsonColumns } from './jsonColumns';
import { isStatus, tablesSdk } from './sdk';

/** One registration request as stored: the normalized request, the step ledger, the hand-off outputs. */
export interface RegistrationRecord {
  requestId: string;
  ticketId: string;
  fingerprint: string;
  createdAt: string;
  updatedAt: string;
  request: RegistrationRequest;
  pipeline: PipelineState;
  /** What Configuration Manager needs back; present once the request succeeded. Never a secret value. */
  outputs?: unknown;
  /** Which worker runs a step now, and until when (a worker that died loses it after its function timeout). */
  leases?: Record<string, StepLease>;
  /** The managed server-app secret's lifecycle (renewal, confirmation, notifications); never a secret value. */
  secret?: ManagedSecretState;
  /** Set once the registration was decommissioned (credentials, grants and apps removed). */
  decommission?: DecommissionRecord;
}

export interface DecommissionRecord {
  requestedAt: string;
  completedAt?: string;
  removed: string[];
}

export interface StepLease {
  owner: string;
  until: string;
}

export interface StoredRegistration {
  record: RegistrationRecord;
  etag: string;
}

export interface ListFilter {
  state?: RequestState;
  tenantId?: string;
  ticketId?: string;
}

export interface Page<T> {
  items: T[];
  continuationToken: string | undefined;
}

/** Another writer changed the row since it was read (ETag mismatch). */
export class ConcurrencyConflictError extends Error {
  readonly code = 'STORE_CONCURRENCY_CONFLICT';
  constructor(requestId: string, cause: unknown) {
    super(`registration ${requestId} was changed by another writer`, { cause });
  }
}

const ROW = 'registration';

function ticketKey(ticketId: string): string {
  return createHash('sha256').update(ticketId, 'utf8').digest('hex');
}

function toEntity(r: RegistrationRecord): Record<string, unknown> {
  return {
    partitionKey: r.requestId,
    rowKey: ROW,
    ticketId: r.ticketId,
    fingerprint: r.fingerprint,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    // Flat columns for filtering in queries and for admins reading the table directly.
    state: r.pipeline.state,
    tenantId: r.request.tenantId.toLowerCase(),
    service: r.request.service,
    action: r.request.action,
    cloud: r.request.cloud,
    ...writeJsonColumns('request', r.request),
    ...writeJsonColumns('pipeline', r.pipeline),
    ...(r.outputs === undefined ? {} : writeJsonColumns('outputs', r.outputs)),
    leases: JSON.stringify(r.leases ?? {}),
    ...(r.secret === undefined ? {} : writeJsonColumns('secret', r.secret)),
    ...(r.decommission === undefined ? {} : { decommission: JSON.stringify(r.decommission) }),
  };
}

function fromEntity(e: TableEntityResult<Record<string, unknown>>): StoredRegistration {
  const record: RegistrationRecord = {
    requestId: String(e.partitionKey),
    ticketId: String(e.ticketId),
    fingerprint: String(e.fingerprint),
    createdAt: String(e.createdAt),
    updatedAt: String(e.updatedAt),
    request: readJsonColumns<RegistrationRequest>(e, 'request')!,
    pipeline: readJsonColumns<PipelineState>(e, 'pipeline')!,
  };
  const outputs = readJsonColumns<unknown>(e, 'outputs');
  if (outputs !== undefined) record.outputs = outputs;
  if (typeof e.leases === 'string') record.leases = JSON.parse(e.leases) as Record<string, StepLease>;
  const secret = readJsonColumns<ManagedSecretState>(e, 'secret');
  if (secret !== undefined) record.secret = secret;
  if (typeof e.decommission === 'string') record.decommission = JSON.parse(e.decommission) as DecommissionRecord;
  return { record, etag: e.etag };
}

/**
 * Registration requests in Table Storage: one row per request, every update guarded by its ETag, and a ticket
 * index row per ticket id (the intake API's idempotency key).
 */
export class RegistrationStore {
  readonly #registrations: TableClient;
  readonly #tickets: TableClient;
  #ready: Promise<void> | undefined;

  constructor(makeClient: (table: string) => TableClient) {
    this.#registrations = makeClient(TABLES.registrations);
    this.#tickets = makeClient(TABLES.tickets);
  }

  /** Creates the tables on first use (infra/ creates them in Azure; Azurite starts empty). */
  ensureTables(): Promise<void> {
    this.#ready ??= Promise.all([
      this.#registrations.createTable().catch(ignoreExists),
      this.#tickets.createTable().catch(ignoreExists),
    ]).then(() => undefined);
    return this.#ready;
  }

  /**
   * Claims a ticket id for a request. Returns the request id that owns the ticket: ours when we won, another when
   * the ticket was claimed before (with that request's fingerprint, to tell a replay from a conflict).
   */
  async claimTicket(
    ticketId: string,
    requestId: string,
    fingerprint: string,
  ): Promise<{ claimed: boolean; requestId: string; fingerprint: string }> {
    await this.ensureTables();
    const key = ticketKey(ticketId);
    try {
      await this.#tickets.createEntity({ partitionKey: key, rowKey: '', ticketId, requestId, fingerprint });
      return { claimed: true, requestId, fingerprint };
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      const existing = await this.#tickets.getEntity<{ requestId: string; fingerprint: string }>(key, '');
      return { claimed: false, requestId: existing.requestId, fingerprint: existing.fingerprint };
    }
  }

  /** Inserts a new request; false when it exists already. */
  async create(record: RegistrationRecord): Promise<boolean> {
    await this.ensureTables();
    try {
      await this.#registrations.createEntity(toEntity(record) as never);
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  async get(requestId: string): Promise<StoredRegistration | undefined> {
    await this.ensureTables();
    try {
      return fromEntity(await this.#registrations.getEntity<Record<string, unknown>>(requestId, ROW));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Replaces the row if it still has `etag`; throws ConcurrencyConflictError otherwise. Returns the new ETag. */
  async replace(record: RegistrationRecord, etag: string): Promise<string> {
    try {
      const res = await this.#registrations.updateEntity(toEntity(record) as never, 'Replace', { etag });
      if (!res.etag) throw new Error('Table Storage returned no ETag for an update');
      return res.etag;
    } catch (err) {
      if (isStatus(err, 412)) throw new ConcurrencyConflictError(record.requestId, err);
      throw err;
    }
  }

  /**
   * Read-modify-write with optimistic concurrency: `change` gets the current record and returns the new one (or
   * undefined to leave it); on an ETag conflict the row is read again and `change` reapplied.
   */
  async update(
    requestId: string,
    change: (current: RegistrationRecord) => RegistrationRecord | undefined,
    maxAttempts = 20,
  ): Promise<StoredRegistration | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(requestId);
      if (!current) return undefined;
      const next = change(current.record);
      if (!next) return current;
      try {
        const etag = await this.replace(next, current.etag);
        return { record: next, etag };
      } catch (err) {
        if (!(err instanceof ConcurrencyConflictError) || attempt >= maxAttempts) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  /** Lists requests, newest first within a page, filtered on state, tenant and ticket; paged by continuation. */
  async list(filter: ListFilter, pageSize: number, continuationToken?: string): Promise<Page<RegistrationRecord>> {
    await this.ensureTables();
    const { odata } = tablesSdk();
    const clauses = [odata`RowKey eq ${ROW}`];
    if (filter.state) clauses.push(odata`state eq ${filter.state}`);
    if (filter.tenantId) clauses.push(odata`tenantId eq ${filter.tenantId.toLowerCase()}`);
    if (filter.ticketId) clauses.push(odata`ticketId eq ${filter.ticketId}`);
    const pages = this.#registrations
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: clauses.join(' and ') } })
      .byPage(continuationToken ? { maxPageSize: pageSize, continuationToken } : { maxPageSize: pageSize });
    const page = await pages.next();
    if (page.done || !page.value) return { items: [], continuationToken: undefined };
    const value = page.value as TableEntityResult<Record<string, unknown>>[] & { continuationToken?: string };
    return { items: value.map((e) => fromEntity(e).record), continuationToken: value.continuationToken };
  }
}

function ignoreExists(err: unknown): void {
  if (!isStatus(err, 409)) throw err;
}
