import {
  buildAddPassword,
  buildClientApplication,
  buildClientRedirectPatch,
  buildDirectoryReadAllAssignment,
  buildGraphUserReadGrant,
  buildHandoff,
  buildKeyVaultSecretSpec,
  buildServerApplication,
  buildServicePrincipal,
  buildUserImpersonationGrant,
  applicationUniqueName,
  credentialMarker,
  requirementsFor,
  resolveGraphPermissionIds,
  serverAppSpec,
  stepOutput,
  verifyRegistration,
  CONSENT_TYPE_ALL_PRINCIPALS,
  DomainError,
  type ObservedApplication,
  type OAuth2PermissionGrantBody,
  type StepName,
} from '../domain';
import type { GraphDirectory } from '../adapters/graph/directory';
import type { StepContext } from './ports';

export type StepOutputs = Record<string, string>;

/** A step's requirements are not met in Graph after it ran (e.g. verify found deviations). Retryable: Graph lags. */
export class VerificationFailedError extends DomainError {
  constructor(detail: string) {
    super({ code: 'VERIFY_DEVIATIONS', status: 500, title: 'The registration does not meet the requirements', detail });
  }
}

const serverUniqueName = (c: StepContext): string => applicationUniqueName(c.requestId, 'server');
const clientUniqueName = (c: StepContext): string => applicationUniqueName(c.requestId, 'client');
const out = (c: StepContext, step: StepName, key: string): string => stepOutput(c.pipeline, step, key);

function appOutputs(app: ObservedApplication): StepOutputs {
  return { appId: app.appId, objectId: app.id };
}

/**
 * The server app's secret: added to the app, stored in Key Vault, and only then recorded. A credential that carries
 * this request's marker but is not the one in Key Vault was left by a failed attempt and is removed first, so no
 * orphan survives; a credential already stored in Key Vault by an attempt that crashed before recording is adopted.
 */
async function serverSecret(c: StepContext): Promise<StepOutputs> {
  const objectId = out(c, 'serverApp', 'objectId');
  const appId = out(c, 'serverApp', 'appId');
  const marker = credentialMarker(c.requestId);
  const spec = (keyId: string, endDateTime: string) =>
    buildKeyVaultSecretSpec({
      requestId: c.requestId,
      tenantId: c.request.tenantId,
      serverAppId: appId,
      credentialKeyId: keyId,
      endDateTime,
    });
  const app = await c.graph.requireApplication(serverUniqueName(c));
  const ours = (app.passwordCredentials ?? []).filter((p) => p.displayName === marker && p.keyId);
  const stored = await c.secrets.latest(spec('', new Date(0).toISOString()).name);
  const adopted = stored?.enabled ? ours.find((p) => p.keyId === stored.tags.credentialKeyId) : undefined;
  if (stored && adopted?.keyId && adopted.endDateTime) {
    return {
      keyId: adopted.keyId,
      keyVaultSecretId: stored.id,
      expiresOn: new Date(adopted.endDateTime).toISOString(),
    };
  }
  for (const orphan of ours) await c.graph.removePassword(objectId, orphan.keyId!);

  const created = await c.graph.addPassword(
    objectId,
    buildAddPassword(c.requestId, c.request.serverApp.secretValidityYears, c.now),
  );
  const kv = spec(created.keyId, created.endDateTime);
  try {
    const secret = await c.secrets.put(kv.name, created.secretText, {
      contentType: kv.contentType,
      expiresOn: new Date(kv.expiresOn),
      tags: { ...kv.tags },
    });
    return {
      keyId: created.keyId,
      keyVaultSecretId: secret.id,
      expiresOn: new Date(created.endDateTime).toISOString(),
    };
  } catch (err) {
    // Not stored: the credential must not outlive this attempt (the next attempt would remove it anyway).
    await c.graph.removePassword(objectId, created.keyId).catch(() => undefined);
    throw err;
  }
}

async function ensureGrant(graph: GraphDirectory, body: OAuth2PermissionGrantBody): Promise<void> {
  const grants = await graph.permissionGrants(body.clientId);
  const existing = grants.find(
    (g) =>
      g.resourceId?.toLowerCase() === body.resourceId.toLowerCase() && g.consentType === CONSENT_TYPE_ALL_PRINCIPALS,
  );
  if (!existing) return graph.createPermissionGrant(body);
  const scopes = (existing.scope ?? '').split(' ').filter(Boolean);
  if (!scopes.includes(body.scope))
    await graph.updatePermissionGrantScope(existing.id, [...scopes, body.scope].join(' '));
}

/** What each step does in Graph and Key Vault. Every step is idempotent: safe to run again after a crash. */
export const STEP_HANDLERS: Record<StepName, (c: StepContext) => Promise<StepOutputs>> = {
  serverApp: async (c) => {
    const upsert = buildServerApplication(serverAppSpec(c.request, c.requestId));
    const { app } = await c.graph.upsertApplication(upsert.uniqueName, upsert.body);
    return appOutputs(app);
  },

  serverSecret,

  serverServicePrincipal: async (c) => {
    const sp = await c.graph.upsertServicePrincipal(
      out(c, 'serverApp', 'appId'),
      buildServicePrincipal(c.requestId, 'server', c.request.serverApp.displayName),
    );
    return { objectId: sp.id };
  },

  clientApp: async (c) => {
    const upsert = buildClientApplication({
      requestId: c.requestId,
      displayName: c.request.clientApp!.displayName,
      serverAppId: out(c, 'serverApp', 'appId'),
    });
    const { app } = await c.graph.upsertApplication(upsert.uniqueName, upsert.body);
    return appOutputs(app);
  },

  clientRedirect: async (c) => {
    const patch = buildClientRedirectPatch(out(c, 'clientApp', 'appId'));
    await c.graph.patchApplication(out(c, 'clientApp', 'objectId'), patch);
    return { redirectUri: patch.publicClient.redirectUris[0]! };
  },

  clientServicePrincipal: async (c) => {
    const sp = await c.graph.upsertServicePrincipal(
      out(c, 'clientApp', 'appId'),
      buildServicePrincipal(c.requestId, 'client', c.request.clientApp!.displayName),
    );
    return { objectId: sp.id };
  },

  appRoleConsent: async (c) => {
    const graphSp = await c.graph.graphServicePrincipal();
    const ids = resolveGraphPermissionIds(graphSp);
    const serverSpId = out(c, 'serverServicePrincipal', 'objectId');
    const held = await c.graph.appRoleAssignments(serverSpId);
    const granted = held.some(
      (a) =>
        a.resourceId?.toLowerCase() === graphSp.id.toLowerCase() &&
        a.appRoleId?.toLowerCase() === ids.directoryReadAllRoleId.toLowerCase(),
    );
    if (!granted) await c.graph.assignAppRole(graphSp.id, buildDirectoryReadAllAssignment(serverSpId, graphSp.id, ids));
    return { graphServicePrincipalId: graphSp.id, appRoleId: ids.directoryReadAllRoleId };
  },

  delegatedGrant: async (c) => {
    await ensureGrant(
      c.graph,
      buildUserImpersonationGrant(
        out(c, 'clientServicePrincipal', 'objectId'),
        out(c, 'serverServicePrincipal', 'objectId'),
      ),
    );
    return {};
  },

  clientGraphGrant: async (c) => {
    const graphSp = await c.graph.graphServicePrincipal();
    await ensureGrant(c.graph, buildGraphUserReadGrant(out(c, 'clientServicePrincipal', 'objectId'), graphSp.id));
    return { graphServicePrincipalId: graphSp.id };
  },

  verify: async (c) => {
    const graphSp = await c.graph.graphServicePrincipal();
    const ids = resolveGraphPermissionIds(graphSp);
    const nativeApp = c.pipeline.steps.clientApp.status !== 'Skipped';
    const [serverApp, clientApp] = await Promise.all([
      c.graph.requireApplication(serverUniqueName(c)),
      nativeApp ? c.graph.requireApplication(clientUniqueName(c)) : Promise.resolve(undefined),
    ]);
    const [serverSp, clientSp] = await Promise.all([
      c.graph.findServicePrincipal(serverApp.appId),
      clientApp ? c.graph.findServicePrincipal(clientApp.appId) : Promise.resolve(undefined),
    ]);
    const [appRoleAssignments, oauth2PermissionGrants] = await Promise.all([
      serverSp ? c.graph.appRoleAssignments(serverSp.id) : Promise.resolve([]),
      clientSp ? c.graph.permissionGrants(clientSp.id) : Promise.resolve([]),
    ]);
    const deviations = verifyRegistration(
      requirementsFor(c.request, c.requestId, ids),
      {
        serverApp,
        ...(clientApp ? { clientApp } : {}),
        ...(serverSp ? { serverServicePrincipal: serverSp } : {}),
        ...(clientSp ? { clientServicePrincipal: clientSp } : {}),
        graphServicePrincipalId: graphSp.id,
        appRoleAssignments,
        oauth2PermissionGrants,
      },
      { now: c.now, credentialKeyId: out(c, 'serverSecret', 'keyId') },
    );
    if (deviations.length > 0) {
      throw new VerificationFailedError(
        deviations
          .map(
            (d) =>
              `${d.object}.${d.property}: expected ${JSON.stringify(d.expected)}, found ${JSON.stringify(d.actual)} (${d.rule})`,
          )
          .join('; '),
      );
    }
    return { deviations: '0' };
  },

  complete: (c) => {
    const nativeApp = c.pipeline.steps.clientApp.status !== 'Skipped';
    const handoff = buildHandoff({
      request: c.request,
      serverAppId: out(c, 'serverApp', 'appId'),
      ...(nativeApp ? { clientAppId: out(c, 'clientApp', 'appId') } : {}),
      secretKeyExpiry: out(c, 'serverSecret', 'expiresOn'),
      keyVaultSecretId: out(c, 'serverSecret', 'keyVaultSecretId'),
    });
    return Promise.resolve({ handoff: JSON.stringify(handoff) });
  },
};
