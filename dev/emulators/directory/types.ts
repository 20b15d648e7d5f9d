/** A JSON object as Graph stores and returns it. */
export type JsonObject = Record<string, unknown>;

/** One tenant the emulators serve, with the app the provisioner signs in as. */
export interface TenantSeed {
  /** GUID */
  tenantId: string;
  displayName: string;
  /** e.g. contoso.onmicrosoft.com (always verified) */
  initialDomain: string;
  /** Further verified custom domains, e.g. contoso.com */
  verifiedDomains: string[];
  provisioner: {
    clientId: string;
    clientSecret: string;
    displayName?: string;
    /** Microsoft Graph app role *values* granted (admin-consented) to the provisioner, e.g. 'Application.ReadWrite.OwnedBy'. */
    graphAppRoles: string[];
  };
  /** Tenant app-management policy: the longest lifetime `addPassword` accepts, in days. */
  maxPasswordLifetimeDays?: number;
}

export type EntityKind = 'application' | 'servicePrincipal' | 'appRoleAssignment' | 'oAuth2PermissionGrant';

/** A directory object held by the emulator: the Graph properties as stored (sparse) plus bookkeeping. */
export interface EntityRecord {
  kind: EntityKind;
  /** Stored Graph properties, including `id`. Properties never written are filled with defaults when rendered. */
  data: JsonObject;
  /** When it was created (epoch ms); replication lag hides it from reads until `createdMs + lag`. */
  createdMs: number;
  /** Until when (epoch ms) reads and references do not see it yet (Graph replication lag); absent = visible. */
  replicatedAtMs?: number;
  /** Object ids of the owners (applications and service principals only). */
  owners: string[];
}

export interface DeletedRecord {
  record: EntityRecord;
  deletedMs: number;
}

/** A client secret's verifier; the secret text itself is never stored. */
export interface StoredSecret {
  keyId: string;
  /** Object id of the application that holds the password credential. */
  applicationObjectId: string;
  salt: string;
  hash: string;
  /** Before this (epoch ms) the secret does not sign in yet (replication lag); absent = at once. */
  activeAtMs?: number;
}
