import { SecretStore, type SecretRecord, type SecretVersion } from './store';

/**
 * Wire shapes of the Key Vault secrets API (REST reference, SecretBundle / SecretItem / DeletedSecretBundle).
 * Times are Unix seconds; optional members are left out rather than sent as null, as the service does.
 */
export interface SecretAttributesWire {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  recoveryLevel: string;
  recoverableDays: number;
}

export interface SecretBundleWire {
  value?: string;
  id: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes: SecretAttributesWire;
}

export interface DeletedSecretBundleWire extends SecretBundleWire {
  recoveryId: string;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export type SecretItemWire = Omit<SecretBundleWire, 'value'>;
export type DeletedSecretItemWire = Omit<DeletedSecretBundleWire, 'value'>;

export class BundleWriter {
  constructor(
    private readonly vaultUrl: string,
    private readonly store: SecretStore,
  ) {}

  attributes(v: SecretVersion): SecretAttributesWire {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: this.store.recoveryLevel,
      recoverableDays: this.store.recoverableDays,
    };
  }

  #common(v: SecretVersion): Pick<SecretBundleWire, 'contentType' | 'tags'> {
    return {
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      ...(v.tags !== undefined ? { tags: { ...v.tags } } : {}),
    };
  }

  /** `id = {vault}/secrets/{name}/{version}`; `value` only where the operation returns it (set, get). */
  bundle(record: SecretRecord, v: SecretVersion, withValue: boolean): SecretBundleWire {
    return {
      ...(withValue ? { value: v.value } : {}),
      id: `${this.vaultUrl}/secrets/${record.name}/${v.version}`,
      ...this.#common(v),
      attributes: this.attributes(v),
    };
  }

  #deletion(record: SecretRecord): Pick<DeletedSecretBundleWire, 'recoveryId' | 'deletedDate' | 'scheduledPurgeDate'> {
    const l = record.lifecycle;
    if (l.state !== 'deleted' && l.state !== 'deleting') throw new Error(`secret ${record.name} is not deleted`);
    return {
      recoveryId: `${this.vaultUrl}/deletedsecrets/${record.name}`,
      deletedDate: l.deletedDate,
      scheduledPurgeDate: l.scheduledPurgeDate,
    };
  }

  /** DELETE /secrets/{name} and GET /deletedsecrets/{name}: the current version, without its value. */
  deletedBundle(record: SecretRecord): DeletedSecretBundleWire {
    return { ...this.#deletion(record), ...this.bundle(record, SecretStore.current(record), false) };
  }

  /** Items of GET /secrets: `id` without a version, attributes of the current version, no value. */
  item(record: SecretRecord): SecretItemWire {
    const v = SecretStore.current(record);
    return { id: `${this.vaultUrl}/secrets/${record.name}`, ...this.#common(v), attributes: this.attributes(v) };
  }

  versionItem(record: SecretRecord, v: SecretVersion): SecretItemWire {
    return this.bundle(record, v, false);
  }

  deletedItem(record: SecretRecord): DeletedSecretItemWire {
    return { ...this.#deletion(record), ...this.item(record) };
  }
}
