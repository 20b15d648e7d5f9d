import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isGuid, nameBasedGuid, newGuid } from './ids';
import { generateSecretText, hashSecret, secretMatches } from './secrets';
import type { DeletedRecord, EntityKind, EntityRecord, JsonObject, StoredSecret, TenantSeed } from './types';
import {
  AZURE_KEY_VAULT_APP_ID,
  MICROSOFT_GRAPH_APP_ID,
  azureKeyVaultServicePrincipal,
  graphAppRoleByValue,
  GRAPH_APP_ROLES,
  microsoftGraphServicePrincipal,
} from './wellKnown';

export type Clock = () => number;

/** Graph's timestamp format (ISO 8601, UTC). */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whether Graph's replication lag has passed for an object (objects without `replicatedAtMs` always have). */
export function isReplicated(record: { replicatedAtMs?: number }, now: number): boolean {
  return now >= (record.replicatedAtMs ?? 0);
}

/** App role assignment ids are not GUIDs in Entra but 43-character base64url strings. */
export function newAppRoleAssignmentId(): string {
  return randomBytes(32).toString('base64url').slice(0, 43);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function normaliseResource(value: string): string {
  return value.toLowerCase().replace(/\/+$/, '');
}

/** One tenant's objects. */
export class TenantDirectory {
  readonly applications = new Map<string, EntityRecord>();
  readonly servicePrincipals = new Map<string, EntityRecord>();
  readonly appRoleAssignments = new Map<string, EntityRecord>();
  readonly oauth2PermissionGrants = new Map<string, EntityRecord>();
  readonly deletedItems = new Map<string, DeletedRecord>();
  /** Verifiers of client secrets by keyId. */
  readonly secrets = new Map<string, StoredSecret>();

  constructor(
    readonly id: string,
    readonly displayName: string,
    readonly initialDomain: string,
    readonly verifiedDomains: readonly string[],
    readonly maxPasswordLifetimeDays: number | undefined,
  ) {}

  /** Every verified domain, the initial `*.onmicrosoft.com` one first. */
  get domains(): string[] {
    return [this.initialDomain, ...this.verifiedDomains];
  }

  isVerifiedDomain(host: string): boolean {
    const h = host.toLowerCase();
    return this.domains.some((d) => d.toLowerCase() === h);
  }

  /** Whether a domain is verified here or is a subdomain of one (Entra accepts subdomains of verified domains). */
  isOnVerifiedDomain(host: string): boolean {
    const h = host.toLowerCase();
    return this.domains.some((d) => h === d.toLowerCase() || h.endsWith(`.${d.toLowerCase()}`));
  }

  collection(kind: EntityKind): Map<string, EntityRecord> {
    switch (kind) {
      case 'application':
        return this.applications;
      case 'servicePrincipal':
        return this.servicePrincipals;
      case 'appRoleAssignment':
        return this.appRoleAssignments;
      case 'oAuth2PermissionGrant':
        return this.oauth2PermissionGrants;
    }
  }

  applicationByAppId(appId: string): EntityRecord | undefined {
    const want = appId.toLowerCase();
    for (const r of this.applications.values()) if (str(r.data.appId)?.toLowerCase() === want) return r;
    return undefined;
  }

  applicationByUniqueName(uniqueName: string): EntityRecord | undefined {
    // uniqueName is matched case-insensitively, as Entra does for alternate keys
    const want = uniqueName.toLowerCase();
    for (const r of this.applications.values()) if (str(r.data.uniqueName)?.toLowerCase() === want) return r;
    return undefined;
  }

  servicePrincipalByAppId(appId: string): EntityRecord | undefined {
    const want = appId.toLowerCase();
    for (const r of this.servicePrincipals.values()) if (str(r.data.appId)?.toLowerCase() === want) return r;
    return undefined;
  }

  get graphServicePrincipal(): EntityRecord {
    const sp = this.servicePrincipalByAppId(MICROSOFT_GRAPH_APP_ID);
    if (!sp) throw new Error(`tenant ${this.id} has no Microsoft Graph service principal`);
    return sp;
  }

  /** An application or service principal by object id. */
  directoryObject(id: string): EntityRecord | undefined {
    const key = id.toLowerCase();
    return this.applications.get(key) ?? this.servicePrincipals.get(key);
  }

  /**
   * The service principal a token for `resource` is issued against: matched on appId or on a servicePrincipalName
   * (for an app-owned API: the application's identifierUris, which Entra copies into servicePrincipalNames).
   */
  servicePrincipalForResource(resource: string): EntityRecord | undefined {
    const want = normaliseResource(resource);
    for (const sp of this.servicePrincipals.values()) {
      if (str(sp.data.appId)?.toLowerCase() === want) return sp;
      const names = Array.isArray(sp.data.servicePrincipalNames) ? sp.data.servicePrincipalNames : [];
      if (names.some((n) => typeof n === 'string' && normaliseResource(n) === want)) return sp;
      const app = this.applicationByAppId(str(sp.data.appId) ?? '');
      const uris = app && Array.isArray(app.data.identifierUris) ? app.data.identifierUris : [];
      if (uris.some((n) => typeof n === 'string' && normaliseResource(n) === want)) return sp;
    }
    return undefined;
  }

  /** App role assignments held by a principal (its `appRoleAssignments`). */
  assignmentsOfPrincipal(principalId: string): EntityRecord[] {
    const want = principalId.toLowerCase();
    return [...this.appRoleAssignments.values()].filter((a) => str(a.data.principalId)?.toLowerCase() === want);
  }

  /**
   * A service principal's properties as Graph shows them: for an app registered in this tenant, `appRoles`,
   * `oauth2PermissionScopes`, `appDisplayName` and the identifier URIs in `servicePrincipalNames` follow the
   * application, as Entra keeps them in sync.
   */
  servicePrincipalView(sp: EntityRecord): JsonObject {
    const app = this.applicationByAppId(str(sp.data.appId) ?? '');
    if (!app) return sp.data;
    const api = (app.data.api ?? {}) as JsonObject;
    const uris = Array.isArray(app.data.identifierUris) ? (app.data.identifierUris as string[]) : [];
    const appId = str(app.data.appId) ?? '';
    return {
      ...sp.data,
      appDisplayName: app.data.displayName ?? null,
      appRoles: Array.isArray(app.data.appRoles) ? app.data.appRoles : [],
      oauth2PermissionScopes: Array.isArray(api.oauth2PermissionScopes) ? api.oauth2PermissionScopes : [],
      servicePrincipalNames: [...new Set([appId, ...uris])],
    };
  }

  /** App role values a principal holds on a resource service principal. */
  grantedRoleValues(principalId: string, resource: EntityRecord): string[] {
    const view = this.servicePrincipalView(resource);
    const roles = Array.isArray(view.appRoles) ? (view.appRoles as JsonObject[]) : [];
    const values = new Set<string>();
    for (const a of this.assignmentsOfPrincipal(principalId)) {
      if (str(a.data.resourceId)?.toLowerCase() !== str(resource.data.id)?.toLowerCase()) continue;
      const role = roles.find((r) => str(r.id) === str(a.data.appRoleId));
      const value = role && str(role.value);
      if (value && role.isEnabled !== false) values.add(value);
    }
    return [...values].sort();
  }
}

export type ClientAuthentication =
  | { ok: true; application: EntityRecord; servicePrincipal: EntityRecord }
  | { ok: false; reason: 'unknownClient' | 'noServicePrincipal' | 'disabled' | 'invalidSecret' | 'expiredSecret' };

export interface NewPasswordCredential {
  /** When the secret starts to sign in (replication lag); default at once. */
  activeAtMs?: number;
  displayName?: string | null;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

export interface DirectorySnapshot {
  version: 1;
  savedAt: string;
  signingKey?: JsonObject;
  tenants: Array<{
    id: string;
    displayName: string;
    initialDomain: string;
    verifiedDomains: string[];
    maxPasswordLifetimeDays?: number;
    applications: EntityRecord[];
    servicePrincipals: EntityRecord[];
    appRoleAssignments: EntityRecord[];
    oauth2PermissionGrants: EntityRecord[];
    deletedItems: DeletedRecord[];
    secrets: StoredSecret[];
  }>;
}

export const DEFAULT_PASSWORD_LIFETIME_MS = 2 * 365 * 24 * 3600 * 1000;

/**
 * The in-memory directory the Entra and Graph emulators share: tenants, their applications, service principals,
 * app role assignments, delegated permission grants, deleted items and secret verifiers.
 */
export class Directory {
  readonly tenants = new Map<string, TenantDirectory>();
  /** The token signing key (private JWK), kept here so a snapshot restores tokens that still verify. */
  signingKey: JsonObject | undefined;

  constructor(readonly clock: Clock = Date.now) {}

  static fromSeeds(seeds: readonly TenantSeed[], clock: Clock = Date.now): Directory {
    const directory = new Directory(clock);
    for (const seed of seeds) directory.addTenant(seed);
    return directory;
  }

  now(): number {
    return this.clock();
  }

  /** Adds a tenant with Microsoft Graph's and Key Vault's service principals and the provisioner's app. */
  addTenant(seed: TenantSeed): TenantDirectory {
    const tenantId: string = seed.tenantId;
    const clientIdText: string = seed.provisioner.clientId;
    if (!isGuid(tenantId)) throw new Error(`tenant seed: tenantId '${tenantId}' is not a GUID`);
    if (!isGuid(clientIdText)) {
      throw new Error(`tenant seed ${tenantId}: provisioner.clientId '${clientIdText}' is not a GUID`);
    }
    if (this.tenants.has(seed.tenantId.toLowerCase())) throw new Error(`tenant ${seed.tenantId} is seeded twice`);
    const tid = seed.tenantId.toLowerCase();
    const tenant = new TenantDirectory(
      tid,
      seed.displayName,
      seed.initialDomain,
      [...seed.verifiedDomains],
      seed.maxPasswordLifetimeDays,
    );
    const now = this.now();
    const seeded = (kind: EntityKind, data: JsonObject, owners: string[] = []): EntityRecord => {
      const record: EntityRecord = { kind, data, createdMs: 0, owners };
      tenant.collection(kind).set(String(data.id).toLowerCase(), record);
      return record;
    };
    const graphSp = seeded('servicePrincipal', {
      ...microsoftGraphServicePrincipal(nameBasedGuid(tid, 'servicePrincipal', MICROSOFT_GRAPH_APP_ID)),
      createdDateTime: isoDate(now),
    });
    seeded('servicePrincipal', {
      ...azureKeyVaultServicePrincipal(nameBasedGuid(tid, 'servicePrincipal', AZURE_KEY_VAULT_APP_ID)),
      createdDateTime: isoDate(now),
    });

    const p = seed.provisioner;
    const clientId = p.clientId.toLowerCase();
    const displayName = p.displayName ?? 'cm-entra-provisioner';
    const roles = p.graphAppRoles.map((value) => {
      const role = graphAppRoleByValue(value);
      if (!role) {
        throw new Error(
          `tenant seed ${tid}: unknown Microsoft Graph app role '${value}' (known: ${GRAPH_APP_ROLES.map((r) => r.value).join(', ')})`,
        );
      }
      return role;
    });
    const app = seeded('application', {
      id: nameBasedGuid(tid, 'application', clientId),
      appId: clientId,
      displayName,
      createdDateTime: isoDate(now),
      publisherDomain: seed.initialDomain,
      signInAudience: 'AzureADMyOrg',
      requiredResourceAccess: roles.length
        ? [{ resourceAppId: MICROSOFT_GRAPH_APP_ID, resourceAccess: roles.map((r) => ({ id: r.id, type: 'Role' })) }]
        : [],
    });
    const sp = seeded('servicePrincipal', {
      id: nameBasedGuid(tid, 'servicePrincipal', clientId),
      accountEnabled: true,
      appId: clientId,
      appDisplayName: displayName,
      displayName,
      appOwnerOrganizationId: tid,
      createdDateTime: isoDate(now),
      servicePrincipalNames: [clientId],
      servicePrincipalType: 'Application',
      signInAudience: 'AzureADMyOrg',
    });
    for (const role of roles) {
      const id = nameBasedGuid(tid, 'appRoleAssignment', clientId, role.id);
      seeded('appRoleAssignment', {
        id: Buffer.from(id.replace(/-/g, '') + id.replace(/-/g, ''), 'hex')
          .toString('base64url')
          .slice(0, 43),
        appRoleId: role.id,
        createdDateTime: isoDate(now),
        principalDisplayName: displayName,
        principalId: sp.data.id,
        principalType: 'ServicePrincipal',
        resourceDisplayName: 'Microsoft Graph',
        resourceId: graphSp.data.id,
      });
    }
    this.tenants.set(tid, tenant);
    this.storePassword(tenant, app, p.clientSecret, {
      displayName: 'seeded secret',
      startDateTime: isoDate(now - 24 * 3600 * 1000),
      endDateTime: isoDate(now + DEFAULT_PASSWORD_LIFETIME_MS),
    });
    return tenant;
  }

  /** A tenant by id or by any of its verified domains (case-insensitive). */
  resolveTenant(nameOrId: string): TenantDirectory | undefined {
    const key = nameOrId.toLowerCase();
    const byId = this.tenants.get(key);
    if (byId) return byId;
    for (const t of this.tenants.values()) if (t.isVerifiedDomain(key)) return t;
    return undefined;
  }

  /**
   * Adds a password credential to an application and returns it with its secret text (the only time the text
   * exists). Policy checks (lifetime) belong to the caller.
   */
  addPassword(
    tenant: TenantDirectory,
    application: EntityRecord,
    input: NewPasswordCredential,
  ): { credential: JsonObject; secretText: string } {
    const secretText = generateSecretText();
    const credential = this.storePassword(tenant, application, secretText, input);
    return { credential: { ...credential, secretText }, secretText };
  }

  private storePassword(
    tenant: TenantDirectory,
    application: EntityRecord,
    secretText: string,
    input: NewPasswordCredential,
  ): JsonObject {
    const now = this.now();
    const keyId = newGuid();
    const start = input.startDateTime ?? isoDate(now);
    const end = input.endDateTime ?? isoDate(Date.parse(start) + DEFAULT_PASSWORD_LIFETIME_MS);
    const credential: JsonObject = {
      customKeyIdentifier: null,
      displayName: input.displayName ?? null,
      endDateTime: end,
      hint: secretText.slice(0, 3),
      keyId,
      secretText: null,
      startDateTime: start,
    };
    const existing = Array.isArray(application.data.passwordCredentials)
      ? (application.data.passwordCredentials as JsonObject[])
      : [];
    application.data.passwordCredentials = [...existing, credential];
    tenant.secrets.set(keyId, {
      keyId,
      applicationObjectId: String(application.data.id),
      ...hashSecret(secretText),
      ...(input.activeAtMs !== undefined ? { activeAtMs: input.activeAtMs } : {}),
    });
    return credential;
  }

  /** Removes a password credential; false when the application has no credential with that keyId. */
  removePassword(tenant: TenantDirectory, application: EntityRecord, keyId: string): boolean {
    const existing = Array.isArray(application.data.passwordCredentials)
      ? (application.data.passwordCredentials as JsonObject[])
      : [];
    const kept = existing.filter((c) => str(c.keyId)?.toLowerCase() !== keyId.toLowerCase());
    if (kept.length === existing.length) return false;
    application.data.passwordCredentials = kept;
    tenant.secrets.delete(keyId.toLowerCase());
    tenant.secrets.delete(keyId);
    return true;
  }

  /**
   * Checks a client_credentials sign-in with a client secret, as Entra's token endpoint does. Objects and secrets
   * still inside Graph's replication lag are not known to the token service yet either.
   */
  authenticateClientSecret(tenant: TenantDirectory, clientId: string, secret: string): ClientAuthentication {
    const now = this.now();
    const replicated = (r: EntityRecord | undefined): EntityRecord | undefined =>
      r && isReplicated(r, now) ? r : undefined;
    const application = replicated(tenant.applicationByAppId(clientId));
    if (!application) return { ok: false, reason: 'unknownClient' };
    const servicePrincipal = replicated(tenant.servicePrincipalByAppId(clientId));
    if (!servicePrincipal) return { ok: false, reason: 'noServicePrincipal' };
    if (servicePrincipal.data.accountEnabled === false) return { ok: false, reason: 'disabled' };
    const credentials = Array.isArray(application.data.passwordCredentials)
      ? (application.data.passwordCredentials as JsonObject[])
      : [];
    let expired = false;
    for (const credential of credentials) {
      const keyId = str(credential.keyId);
      const stored = keyId ? tenant.secrets.get(keyId) : undefined;
      if (!stored || !secretMatches(secret, stored.salt, stored.hash)) continue;
      if (stored.activeAtMs !== undefined && now < stored.activeAtMs) continue;
      const start = Date.parse(str(credential.startDateTime) ?? '');
      const end = Date.parse(str(credential.endDateTime) ?? '');
      if (Number.isFinite(end) && end <= now) {
        expired = true;
        continue;
      }
      if (Number.isFinite(start) && start > now) continue;
      return { ok: true, application, servicePrincipal };
    }
    return { ok: false, reason: expired ? 'expiredSecret' : 'invalidSecret' };
  }

  toSnapshot(): DirectorySnapshot {
    return {
      version: 1,
      savedAt: isoDate(this.now()),
      ...(this.signingKey ? { signingKey: this.signingKey } : {}),
      tenants: [...this.tenants.values()].map((t) => ({
        id: t.id,
        displayName: t.displayName,
        initialDomain: t.initialDomain,
        verifiedDomains: [...t.verifiedDomains],
        ...(t.maxPasswordLifetimeDays !== undefined ? { maxPasswordLifetimeDays: t.maxPasswordLifetimeDays } : {}),
        applications: [...t.applications.values()],
        servicePrincipals: [...t.servicePrincipals.values()],
        appRoleAssignments: [...t.appRoleAssignments.values()],
        oauth2PermissionGrants: [...t.oauth2PermissionGrants.values()],
        deletedItems: [...t.deletedItems.values()],
        secrets: [...t.secrets.values()],
      })),
    };
  }

  static fromSnapshot(snapshot: DirectorySnapshot, clock: Clock = Date.now): Directory {
    if (snapshot.version !== 1)
      throw new Error(`directory snapshot version ${String(snapshot.version)} is not supported`);
    const directory = new Directory(clock);
    directory.signingKey = snapshot.signingKey;
    for (const s of snapshot.tenants) {
      const t = new TenantDirectory(s.id, s.displayName, s.initialDomain, s.verifiedDomains, s.maxPasswordLifetimeDays);
      // objects restored from a snapshot are old: replication lag no longer applies
      const put = (map: Map<string, EntityRecord>, records: EntityRecord[]): void => {
        for (const r of records) map.set(String(r.data.id).toLowerCase(), { ...r, createdMs: 0 });
      };
      put(t.applications, s.applications);
      put(t.servicePrincipals, s.servicePrincipals);
      put(t.appRoleAssignments, s.appRoleAssignments);
      put(t.oauth2PermissionGrants, s.oauth2PermissionGrants);
      for (const d of s.deletedItems) t.deletedItems.set(String(d.record.data.id).toLowerCase(), d);
      for (const secret of s.secrets) t.secrets.set(secret.keyId, secret);
      directory.tenants.set(t.id, t);
    }
    return directory;
  }

  /** Writes the snapshot atomically (temp file, then rename). */
  saveSnapshot(file: string): void {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.toSnapshot(), null, 2), { mode: 0o600 });
    renameSync(tmp, file);
  }

  static loadSnapshot(file: string, clock: Clock = Date.now): Directory {
    return Directory.fromSnapshot(JSON.parse(readFileSync(file, 'utf8')) as DirectorySnapshot, clock);
  }
}
