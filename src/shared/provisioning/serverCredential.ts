import {
  buildAddPassword,
  buildKeyVaultSecretSpec,
  credentialMarker,
  keyVaultSecretName,
  parseKeyVaultSecretId,
  type ObservedApplication,
  type SecretValidityYears,
} from '../domain';
import type { GraphDirectory } from '../adapters/graph/directory';
import type { SecretStore } from '../adapters/keyvault/secretStore';

/**
 * The one place that adds and retires the server app's managed password credentials — used by the provisioning
 * pipeline's serverSecret step (creation) and by the secret lifecycle (renewal, confirmation, decommission).
 *
 * Rules (crash-safe, secret never outside Graph's answer and Key Vault):
 *  - a credential is added, then stored in Key Vault (a new version, with expiry and tags), and only then recorded;
 *  - a credential that carries the request's marker and is stored in Key Vault's latest version but was never
 *    recorded (a worker died after the vault write) is adopted, not duplicated;
 *  - any other credential with the marker, except the one to keep (the live current credential during a renewal),
 *    was left by a failed attempt and is removed before a new one is added — so an app never has more than two
 *    live managed credentials (the kept one and the new one);
 *  - a credential whose vault write failed is removed again before the error propagates.
 */
export interface NewCredentialInput {
  graph: GraphDirectory;
  secrets: SecretStore;
  requestId: string;
  tenantId: string;
  serverAppId: string;
  /** The server app as just read from Graph (its passwordCredentials). */
  app: ObservedApplication;
  validityYears: SecretValidityYears;
  now: Date;
  /** keyId of a live credential that must stay (the current one while renewing). */
  keep?: string;
  /**
   * Proves the new secret works before it is stored (import's "Verify": a token for the tenant). A secret that
   * fails the proof is removed again and never reaches Key Vault.
   */
  prove?: (secretText: string) => Promise<void>;
}

export interface StoredCredential {
  keyId: string;
  keyVaultSecretId: string;
  expiresOn: string;
  adopted: boolean;
}

export async function addManagedCredential(i: NewCredentialInput): Promise<StoredCredential> {
  const marker = credentialMarker(i.requestId);
  const keep = i.keep?.toLowerCase();
  const ours = (i.app.passwordCredentials ?? []).filter((p) => p.displayName === marker && p.keyId);
  const stored = await i.secrets.latest(keyVaultSecretName(i.requestId));
  const storedKeyId = stored?.enabled ? stored.tags.credentialKeyId?.toLowerCase() : undefined;
  const adopted =
    storedKeyId && storedKeyId !== keep ? ours.find((p) => p.keyId!.toLowerCase() === storedKeyId) : undefined;
  if (stored && adopted?.keyId && adopted.endDateTime) {
    return {
      keyId: adopted.keyId,
      keyVaultSecretId: stored.id,
      expiresOn: new Date(adopted.endDateTime).toISOString(),
      adopted: true,
    };
  }
  for (const orphan of ours) {
    if (orphan.keyId!.toLowerCase() !== keep) await i.graph.removePassword(i.app.id, orphan.keyId!);
  }

  const created = await i.graph.addPassword(i.app.id, buildAddPassword(i.requestId, i.validityYears, i.now));
  const kv = buildKeyVaultSecretSpec({
    requestId: i.requestId,
    tenantId: i.tenantId,
    serverAppId: i.serverAppId,
    credentialKeyId: created.keyId,
    endDateTime: created.endDateTime,
  });
  try {
    if (i.prove) await i.prove(created.secretText);
    const secret = await i.secrets.put(kv.name, created.secretText, {
      contentType: kv.contentType,
      expiresOn: new Date(kv.expiresOn),
      tags: { ...kv.tags },
    });
    return {
      keyId: created.keyId,
      keyVaultSecretId: secret.id,
      expiresOn: new Date(created.endDateTime).toISOString(),
      adopted: false,
    };
  } catch (err) {
    // Not proven or not stored: the credential must not outlive this attempt (the next one would remove it anyway).
    await i.graph.removePassword(i.app.id, created.keyId).catch(() => undefined);
    throw err;
  }
}

/**
 * Retires a managed credential: removed from the app (already gone counts as removed) and its Key Vault version
 * disabled, so nothing can read a dead secret. Idempotent.
 */
export async function retireManagedCredential(i: {
  graph: GraphDirectory;
  secrets: SecretStore;
  serverObjectId: string;
  keyId: string;
  keyVaultSecretId: string;
}): Promise<void> {
  await i.graph.removePassword(i.serverObjectId, i.keyId);
  const ref = parseKeyVaultSecretId(i.keyVaultSecretId);
  await i.secrets.disable(ref.secretName, ref.version);
}
