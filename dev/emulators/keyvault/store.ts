import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  badParameter,
  beingDeleted,
  beingRecovered,
  deletedButRecoverable,
  deletedSecretNotFound,
  purgeProtected,
  secretDisabled,
  secretNotFound,
} from './errors';

/** One version of a secret. Times are Unix seconds, as on the wire. */
export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

/**
 * Where a secret is in its soft-delete life. Deletion and recovery are asynchronous in the service (the
 * deleted secret shows up in `/deletedsecrets` a few seconds after DELETE answers); `until` (epoch ms) marks
 * the end of that transition and is settled lazily on the next access.
 */
export type Lifecycle =
  | { state: 'active' }
  | { state: 'deleting'; until: number; deletedDate: number; scheduledPurgeDate: number }
  | { state: 'deleted'; deletedDate: number; scheduledPurgeDate: number }
  | { state: 'recovering'; until: number };

export interface SecretRecord {
  /** The name as first written; lookups are case-insensitive, as in the service. */
  name: string;
  /** In creation order; the last one is the current version. */
  versions: SecretVersion[];
  lifecycle: Lifecycle;
}

export interface AttributesInput {
  enabled?: boolean | undefined;
  nbf?: number | null | undefined;
  exp?: number | null | undefined;
}

export interface SetInput {
  value: string;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  attributes?: AttributesInput | undefined;
}

export interface UpdateInput {
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  attributes?: AttributesInput | undefined;
}

export interface StoreOptions {
  /** Soft-delete retention (7..90 days; the service's default is 90). */
  recoverableDays: number;
  /** With purge protection, purge is refused and the recovery level drops "+Purgeable". */
  purgeProtection: boolean;
  /** How long a delete or a recover takes to complete (ms); 0 = at once. */
  transitionMs: number;
  /** Clock in epoch ms. */
  now: () => number;
}

/** The soft-delete recovery level the vault reports in every secret's attributes. */
export function recoveryLevel(o: Pick<StoreOptions, 'recoverableDays' | 'purgeProtection'>): string {
  const custom = o.recoverableDays < 90 ? 'CustomizedRecoverable' : 'Recoverable';
  return o.purgeProtection ? custom : `${custom}+Purgeable`;
}

/** Secret names: 1-127 letters, digits and dashes (service rule). */
export const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** Versions are 32 lower-case hex characters. */
export const VERSION_ID = /^[0-9a-f]{32}$/i;
/** The service allows at most 15 tags on an object. */
export const MAX_TAGS = 15;

const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * The vault's secrets, in memory. Methods throw the service's errors (HttpError) so the HTTP layer only maps
 * routes to calls.
 */
export class SecretStore {
  readonly #records = new Map<string, SecretRecord>();
  readonly #o: StoreOptions;

  constructor(options: StoreOptions) {
    if (!Number.isInteger(options.recoverableDays) || options.recoverableDays < 7 || options.recoverableDays > 90) {
      throw new RangeError('recoverableDays must be an integer between 7 and 90');
    }
    this.#o = options;
  }

  get recoveryLevel(): string {
    return recoveryLevel(this.#o);
  }

  get recoverableDays(): number {
    return this.#o.recoverableDays;
  }

  /** Moves finished transitions on and purges secrets whose retention has run out. */
  #settle(key: string): SecretRecord | undefined {
    const record = this.#records.get(key);
    if (!record) return undefined;
    const now = this.#o.now();
    const l = record.lifecycle;
    if (l.state === 'deleting' && now >= l.until) {
      record.lifecycle = { state: 'deleted', deletedDate: l.deletedDate, scheduledPurgeDate: l.scheduledPurgeDate };
    } else if (l.state === 'recovering' && now >= l.until) {
      record.lifecycle = { state: 'active' };
    }
    const settled = record.lifecycle;
    if (settled.state === 'deleted' && now >= settled.scheduledPurgeDate * 1000) {
      this.#records.delete(key);
      return undefined;
    }
    return record;
  }

  #settleAll(): SecretRecord[] {
    return [...this.#records.keys()]
      .map((k) => this.#settle(k))
      .filter((r): r is SecretRecord => r !== undefined)
      .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  }

  #active(name: string): SecretRecord {
    const record = this.#settle(name.toLowerCase());
    if (!record || record.lifecycle.state !== 'active') throw secretNotFound(name);
    return record;
  }

  static current(record: SecretRecord): SecretVersion {
    const v = record.versions[record.versions.length - 1];
    if (!v) throw new Error(`secret ${record.name} has no versions`);
    return v;
  }

  #find(record: SecretRecord, name: string, version: string | undefined): SecretVersion {
    if (!version) return SecretStore.current(record);
    const found = record.versions.find((v) => v.version.toLowerCase() === version.toLowerCase());
    if (!found) throw secretNotFound(name, version);
    return found;
  }

  /** PUT /secrets/{name}: a new version each time. A soft-deleted name cannot be reused. */
  set(name: string, input: SetInput): { record: SecretRecord; version: SecretVersion } {
    checkTags(input.tags);
    const key = name.toLowerCase();
    const existing = this.#settle(key);
    if (existing) conflictUnlessActive(existing);
    const now = seconds(this.#o.now());
    const version: SecretVersion = {
      version: randomBytes(16).toString('hex'),
      value: input.value,
      ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
      ...(input.tags !== undefined ? { tags: { ...input.tags } } : {}),
      enabled: input.attributes?.enabled ?? true,
      ...(input.attributes?.nbf != null ? { nbf: input.attributes.nbf } : {}),
      ...(input.attributes?.exp != null ? { exp: input.attributes.exp } : {}),
      created: now,
      updated: now,
    };
    const record = existing ?? { name, versions: [], lifecycle: { state: 'active' } };
    record.versions.push(version);
    this.#records.set(key, record);
    return { record, version };
  }

  /** GET /secrets/{name}/{version?}: the value; a disabled version is refused with 403 SecretDisabled. */
  get(name: string, version: string | undefined): { record: SecretRecord; version: SecretVersion } {
    const record = this.#active(name);
    const v = this.#find(record, name, version);
    if (!v.enabled) throw secretDisabled();
    return { record, version: v };
  }

  /** PATCH /secrets/{name}/{version}: fields present replace the stored ones; the value never changes. */
  update(
    name: string,
    version: string | undefined,
    input: UpdateInput,
  ): { record: SecretRecord; version: SecretVersion } {
    checkTags(input.tags);
    const record = this.#settle(name.toLowerCase());
    if (!record) throw secretNotFound(name);
    conflictUnlessActive(record);
    const v = this.#find(record, name, version);
    if (input.contentType !== undefined) v.contentType = input.contentType;
    if (input.tags !== undefined) v.tags = { ...input.tags };
    const a = input.attributes;
    if (a?.enabled !== undefined) v.enabled = a.enabled;
    if (a?.nbf !== undefined) {
      if (a.nbf === null) delete v.nbf;
      else v.nbf = a.nbf;
    }
    if (a?.exp !== undefined) {
      if (a.exp === null) delete v.exp;
      else v.exp = a.exp;
    }
    v.updated = seconds(this.#o.now());
    return { record, version: v };
  }

  /** DELETE /secrets/{name}: soft delete of every version. */
  delete(name: string): SecretRecord {
    const record = this.#settle(name.toLowerCase());
    if (!record || record.lifecycle.state === 'deleted') throw secretNotFound(name);
    conflictUnlessActive(record);
    const nowMs = this.#o.now();
    const deletedDate = seconds(nowMs);
    const scheduledPurgeDate = deletedDate + this.#o.recoverableDays * 86_400;
    record.lifecycle =
      this.#o.transitionMs > 0
        ? { state: 'deleting', until: nowMs + this.#o.transitionMs, deletedDate, scheduledPurgeDate }
        : { state: 'deleted', deletedDate, scheduledPurgeDate };
    return record;
  }

  /** GET /deletedsecrets/{name}: only once the deletion has completed. */
  getDeleted(name: string): SecretRecord {
    const record = this.#settle(name.toLowerCase());
    if (!record || record.lifecycle.state !== 'deleted') throw deletedSecretNotFound(name);
    return record;
  }

  /** POST /deletedsecrets/{name}/recover */
  recover(name: string): SecretRecord {
    const record = this.#settle(name.toLowerCase());
    if (record?.lifecycle.state === 'deleting') throw beingDeleted();
    if (!record || record.lifecycle.state !== 'deleted') throw deletedSecretNotFound(name);
    record.lifecycle =
      this.#o.transitionMs > 0
        ? { state: 'recovering', until: this.#o.now() + this.#o.transitionMs }
        : { state: 'active' };
    return record;
  }

  /** DELETE /deletedsecrets/{name}: permanent; refused with purge protection. */
  purge(name: string): void {
    const key = name.toLowerCase();
    const record = this.#settle(key);
    if (record?.lifecycle.state === 'deleting') throw beingDeleted();
    if (!record || record.lifecycle.state !== 'deleted') throw deletedSecretNotFound(name);
    if (this.#o.purgeProtection) throw purgeProtected();
    this.#records.delete(key);
  }

  listActive(): SecretRecord[] {
    return this.#settleAll().filter((r) => r.lifecycle.state === 'active');
  }

  listDeleted(): SecretRecord[] {
    return this.#settleAll().filter((r) => r.lifecycle.state === 'deleted');
  }

  /** Versions of an active secret, ordered by version id (as the service lists them). */
  listVersions(name: string): { record: SecretRecord; versions: SecretVersion[] } {
    const record = this.#active(name);
    return { record, versions: [...record.versions].sort((a, b) => (a.version < b.version ? -1 : 1)) };
  }

  clear(): void {
    this.#records.clear();
  }

  /** Every record, settled, for dumps and snapshots. */
  all(): SecretRecord[] {
    return this.#settleAll();
  }

  toSnapshot(): Snapshot {
    return { format: SNAPSHOT_FORMAT, version: 1, secrets: structuredClone(this.#settleAll()) };
  }

  loadSnapshot(input: unknown, source: string): void {
    const parsed = SnapshotSchema.safeParse(input);
    if (!parsed.success) {
      throw new Error(`Key Vault emulator: ${source} is not a valid snapshot: ${parsed.error.message}`);
    }
    this.#records.clear();
    for (const s of parsed.data.secrets) {
      if (s.versions.length === 0) continue;
      this.#records.set(s.name.toLowerCase(), s);
    }
  }
}

function conflictUnlessActive(record: SecretRecord): void {
  switch (record.lifecycle.state) {
    case 'active':
      return;
    case 'deleting':
      throw beingDeleted();
    case 'recovering':
      throw beingRecovered();
    case 'deleted':
      throw deletedButRecoverable(record.name);
  }
}

function checkTags(tags: Record<string, string> | undefined): void {
  // Emulator wording; the limit (15 tags) is the service's.
  if (tags && Object.keys(tags).length > MAX_TAGS) {
    throw badParameter(`The number of tags exceeds the maximum of ${MAX_TAGS}.`);
  }
}

export const SNAPSHOT_FORMAT = 'cm-entra-provisioner/keyvault-emulator';

const VersionSchema = z.object({
  version: z.string().regex(VERSION_ID),
  value: z.string(),
  contentType: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  enabled: z.boolean(),
  nbf: z.number().int().optional(),
  exp: z.number().int().optional(),
  created: z.number().int(),
  updated: z.number().int(),
});

const LifecycleSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('active') }),
  z.object({
    state: z.literal('deleting'),
    until: z.number(),
    deletedDate: z.number().int(),
    scheduledPurgeDate: z.number().int(),
  }),
  z.object({ state: z.literal('deleted'), deletedDate: z.number().int(), scheduledPurgeDate: z.number().int() }),
  z.object({ state: z.literal('recovering'), until: z.number() }),
]);

const SnapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(1),
  secrets: z.array(
    z.object({ name: z.string().regex(SECRET_NAME), versions: z.array(VersionSchema), lifecycle: LifecycleSchema }),
  ),
});

export type Snapshot = { format: typeof SNAPSHOT_FORMAT; version: 1; secrets: SecretRecord[] };
