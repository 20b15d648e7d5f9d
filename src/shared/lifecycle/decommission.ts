import { credentialMarker, DomainError, expiryBucket, getCloud, keyVaultSecretName, withHistory } from '../domain';
import type { DecommissionRecord, RegistrationRecord } from '../adapters/tables/registrationStore';
import { getRegistration, RegistrationNotFoundError } from '../provisioning/requests';
import type { LifecycleDeps } from './ports';
import { trackedSecret } from './secrets';

export class DecommissionConfirmationError extends DomainError {
  constructor(ticketId: string) {
    super({
      code: 'DECOMMISSION_NOT_CONFIRMED',
      status: 400,
      title: 'Decommission not confirmed',
      detail: `Send {"confirm": "<the registration's ticket id>"} to delete its apps, consents and secret.`,
      errors: [
        {
          field: '/confirm',
          code: 'DECOMMISSION_NOT_CONFIRMED',
          message: `confirm must be the registration's ticket id ('${ticketId}')`,
        },
      ],
    });
  }
}

export class DecommissionWhileRunningError extends DomainError {
  constructor(id: string) {
    super({
      code: 'REGISTRATION_RUNNING',
      status: 409,
      title: 'The registration is still running',
      detail: `Registration '${id}' is still being provisioned; decommission it once it has Succeeded or Failed.`,
    });
  }
}

function confirmedBy(body: unknown, ticketId: string): boolean {
  return (
    typeof body === 'object' && body !== null && (body as { confirm?: unknown }).confirm === ticketId && ticketId !== ''
  );
}

/**
 * Decommissions a registration (DELETE /api/registrations/{id} with `{"confirm": "<ticket id>"}`): the managed
 * credentials are removed, the consent grants deleted, the apps deleted (Entra keeps them 30 days in deleted items,
 * restorable), every Key Vault version of the secret disabled, the expiry index entries removed, and all of it
 * recorded on the row. Imported apps belong to their admins: only the credentials this service added are removed.
 * Every part treats "already gone" as done, so repeating it is harmless.
 */
export async function decommissionRegistration(
  deps: LifecycleDeps,
  id: string,
  body: unknown,
): Promise<{ record: RegistrationRecord; decommission: DecommissionRecord }> {
  const found = await getRegistration(deps, id);
  if (!confirmedBy(body, found.ticketId)) throw new DecommissionConfirmationError(found.ticketId);
  if (found.decommission?.completedAt) return { record: found, decommission: found.decommission };
  if (found.pipeline.state === 'Accepted' || found.pipeline.state === 'Running') {
    throw new DecommissionWhileRunningError(found.requestId);
  }
  const requestId = found.requestId;
  const secretBefore = trackedSecret(found, deps.now());
  const started = await deps.store.update(requestId, (r) =>
    r.decommission
      ? undefined
      : {
          ...r,
          decommission: { requestedAt: deps.now().toISOString(), removed: [] },
          updatedAt: deps.now().toISOString(),
        },
  );
  if (!started) throw new RegistrationNotFoundError(id);

  const rec = started.record;
  const graph = deps.graphFor(rec.request.tenantId, getCloud(rec.request.cloud));
  const out = (step: keyof RegistrationRecord['pipeline']['steps'], key: string): string | undefined =>
    rec.pipeline.steps[step].outputs?.[key];
  const removed: string[] = [];
  const imported = rec.request.action === 'import';

  const serverObjectId = out('serverApp', 'objectId') ?? secretBefore?.serverObjectId;
  if (serverObjectId) {
    const app = await graph.findApplicationById(serverObjectId);
    const marker = credentialMarker(requestId);
    for (const p of app?.passwordCredentials ?? []) {
      if (p.displayName === marker && p.keyId) {
        await graph.removePassword(serverObjectId, p.keyId);
        removed.push(`passwordCredential ${p.keyId}`);
      }
    }
  }

  if (!imported) {
    const clientSpId = out('clientServicePrincipal', 'objectId');
    if (clientSpId) {
      for (const g of await graph.permissionGrants(clientSpId).catch(() => [])) {
        await graph.deletePermissionGrant(g.id);
        removed.push(`oauth2PermissionGrant ${g.scope ?? ''}`.trim());
      }
    }
    const serverSpId = out('serverServicePrincipal', 'objectId');
    const roleId = out('appRoleConsent', 'appRoleId');
    if (serverSpId && roleId) {
      const held = await graph.appRoleAssignments(serverSpId).catch(() => []);
      for (const a of held) {
        const assignmentId = (a as { id?: string }).id;
        if (assignmentId && a.appRoleId?.toLowerCase() === roleId.toLowerCase()) {
          await graph.deleteAppRoleAssignment(serverSpId, assignmentId);
          removed.push(`appRoleAssignment ${roleId}`);
        }
      }
    }
    const clientObjectId = out('clientApp', 'objectId');
    if (clientObjectId) {
      await graph.deleteApplication(clientObjectId);
      removed.push(`application ${out('clientApp', 'appId') ?? clientObjectId} (and its service principal)`);
    }
    if (serverObjectId) {
      await graph.deleteApplication(serverObjectId);
      removed.push(`application ${out('serverApp', 'appId') ?? serverObjectId} (and its service principal)`);
    }
  }

  const name = keyVaultSecretName(requestId);
  for (const v of await deps.secrets.versions(name)) {
    if (v.enabled) {
      await deps.secrets.disable(name, v.version);
      removed.push(`Key Vault ${name}/${v.version} disabled`);
    }
  }

  const buckets = new Set<string>();
  const secretOut = rec.pipeline.steps.serverSecret.outputs?.expiresOn;
  if (secretOut) buckets.add(expiryBucket(secretOut));
  if (secretBefore) {
    buckets.add(expiryBucket(secretBefore.current.expiresOn));
    if (secretBefore.previous) buckets.add(expiryBucket(secretBefore.previous.expiresOn));
  }
  await Promise.all([...buckets].map((b) => deps.expiryIndex.remove(b, requestId)));

  const saved = await deps.store.update(requestId, (r) => {
    if (r.decommission?.completedAt) return undefined;
    const at = deps.now().toISOString();
    const decommission: DecommissionRecord = {
      requestedAt: r.decommission?.requestedAt ?? at,
      completedAt: at,
      removed: [...(r.decommission?.removed ?? []), ...removed],
    };
    const secret = r.secret
      ? withHistory(r.secret, { at, event: 'decommissioned', detail: `${removed.length} objects removed` })
      : undefined;
    return { ...r, decommission, ...(secret ? { secret } : {}), updatedAt: at };
  });
  const final = saved?.record ?? rec;
  return { record: final, decommission: final.decommission! };
}
