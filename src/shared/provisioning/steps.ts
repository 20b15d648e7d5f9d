import {
  buildClientApplication,
  buildClientRedirectPatch,
  buildDirectoryReadAllAssignment,
  buildGraphUserReadGrant,
  buildHandoff,
  buildServerApplication,
  buildServicePrincipal,
  buildUserImpersonationGrant,
  applicationUniqueName,
  expiryBucket,
  requirementsFor,
  resolveGraphPermissionIds,
  serverAppSpec,
  stepOutput,
  verifyRegistration,
  parseAppIdUri,
  answeredRegistration,
  observedOutput,
  projectAppRoleAssignment,
  projectApplication,
  projectPermissionGrant,
  projectServicePrincipal,
  CONSENT_TYPE_ALL_PRINCIPALS,
  type AnsweredRegistration,
  DomainError,
  type Deviation,
  type ObservedApplication,
  type ObservedPermissionGrant,
  type OAuth2PermissionGrantBody,
  type StepName,
  STEP_NAMES,
} from '../domain';
import type { GraphDirectory } from '../adapters/graph/directory';
import { GraphRequestError } from '../adapters/graph/errors';
import { AppIdUriDomainNotVerifiedError, isOnVerifiedDomain } from '../security/policy';
import type { StepContext } from './ports';
import { IMPORT_STEP_HANDLERS } from './importSteps';
import { addManagedCredential } from './serverCredential';

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

function appOutputs(app: ObservedApplication, created: boolean): StepOutputs {
  return { appId: app.appId, objectId: app.id, created: String(created), ...observedOutput(projectApplication(app)) };
}

/**
 * The server app as serverSecret needs it (its id and password credentials). On the step's first attempt after the
 * serverApp step created the app (Graph answered 201 with no credentials), nothing can have added a credential yet
 * — only this step adds them — so the read is skipped. Any later attempt (a retry, a worker that died after
 * addPassword, a request retried or repaired) reads the app, to find what an earlier attempt left.
 */
async function serverAppForCredential(c: StepContext): Promise<ObservedApplication> {
  const fresh = c.pipeline.steps.serverSecret.attempts === 1 && out(c, 'serverApp', 'created') === 'true';
  if (fresh)
    return { id: out(c, 'serverApp', 'objectId'), appId: out(c, 'serverApp', 'appId'), passwordCredentials: [] };
  return c.graph.requireApplication(serverUniqueName(c));
}

/**
 * The request's server-app secret, for the serverSecret step of either action: added to the app, stored in Key
 * Vault, and only then recorded (the rules are in serverCredential.ts, shared with the secret lifecycle). The expiry
 * index gets the secret so the renewal sweep finds it; writing it again on a retry is harmless.
 */
export async function storeServerSecret(
  c: StepContext,
  serverAppId: string,
  app: ObservedApplication,
  prove?: (secretText: string) => Promise<void>,
): Promise<StepOutputs> {
  const stored = await addManagedCredential({
    graph: c.graph,
    secrets: c.secrets,
    requestId: c.requestId,
    tenantId: c.request.tenantId,
    serverAppId,
    app,
    validityYears: c.request.serverApp.secretValidityYears,
    now: c.now,
    ...(prove ? { prove } : {}),
  });
  await c.expiryIndex.put({
    bucket: expiryBucket(stored.expiresOn),
    requestId: c.requestId,
    expiresOn: stored.expiresOn,
  });
  return { keyId: stored.keyId, keyVaultSecretId: stored.keyVaultSecretId, expiresOn: stored.expiresOn };
}

async function serverSecret(c: StepContext): Promise<StepOutputs> {
  return storeServerSecret(c, out(c, 'serverApp', 'appId'), await serverAppForCredential(c));
}

/**
 * Creates the admin-consent grant. Written first and read only when Graph says one exists already (409 "Permission
 * entry already exists." — a re-run after a crash, or consent given by hand), whose scopes are then extended: on
 * the first run this saves a dependent round trip on the pipeline's critical path.
 */
async function ensureGrant(
  graph: GraphDirectory,
  body: OAuth2PermissionGrantBody,
): Promise<ObservedPermissionGrant | undefined> {
  let conflict: GraphRequestError;
  try {
    return projectPermissionGrant(await graph.createPermissionGrant(body));
  } catch (err) {
    if (!(err instanceof GraphRequestError) || err.kind !== 'conflict') throw err;
    conflict = err;
  }
  const grants = await graph.permissionGrants(body.clientId);
  const existing = grants.find(
    (g) =>
      g.resourceId?.toLowerCase() === body.resourceId.toLowerCase() && g.consentType === CONSENT_TYPE_ALL_PRINCIPALS,
  );
  if (!existing) throw conflict;
  const scopes = (existing.scope ?? '').split(' ').filter(Boolean);
  if (!scopes.includes(body.scope))
    await graph.updatePermissionGrantScope(existing.id, [...scopes, body.scope].join(' '));
  return undefined; // no answer that shows the grant as it is now: verify reads it
}

const grantOutputs = (grant: ObservedPermissionGrant | undefined): StepOutputs => (grant ? observedOutput(grant) : {});

/**
 * An https:// App ID URI must be on one of the target tenant's verified domains, read from Graph
 * (`GET /organization`, needs Organization.Read.All); api:// URIs are bound to the tenant id at intake. A mismatch
 * fails the step terminally, before anything is created.
 */
async function checkAppIdUriDomain(c: StepContext): Promise<void> {
  const parsed = parseAppIdUri(c.request.serverApp.appIdUri);
  if (!parsed.ok || parsed.form !== 'https') return;
  const res = await c.graph.api.send<{ value?: { verifiedDomains?: { name?: string }[] }[] }>({
    method: 'GET',
    path: '/organization',
  });
  const domains = (res.body.value ?? []).flatMap((o) => (o.verifiedDomains ?? []).map((d) => d.name ?? ''));
  if (!isOnVerifiedDomain(parsed.host, domains)) throw new AppIdUriDomainNotVerifiedError(parsed.host, domains);
}

/**
 * Reads the registration back from Graph (apps, service principals, consents) and lists every deviation from the
 * seed requirements — the verify step, and drift reporting/repair (reconcile), use the same checks.
 */
export async function verifyAgainstRequirements(
  c: StepContext,
  credentialKeyId: string | undefined,
  known: AnsweredRegistration = {},
): Promise<Deviation[]> {
  const graphSp = await c.graph.graphServicePrincipal();
  const ids = resolveGraphPermissionIds(graphSp);
  const nativeApp = c.pipeline.steps.clientApp.status !== 'Skipped';
  // Every read at once, addressed by the ids in the step ledger: one dependent round trip instead of three. What
  // Graph returns is still what is verified: when an object read back is not the one the ledger names (or the
  // ledger has no id), the dependent read is made again from what Graph returned.
  const ledger = (step: StepName, key: string): string | undefined => c.pipeline.steps[step].outputs?.[key];
  const serverAppId = ledger('serverApp', 'appId');
  const clientAppId = nativeApp ? ledger('clientApp', 'appId') : undefined;
  const serverSpId = ledger('serverServicePrincipal', 'objectId');
  const clientSpId = nativeApp ? ledger('clientServicePrincipal', 'objectId') : undefined;
  const [serverApp, clientApp, ledgerServerSp, ledgerClientSp, ledgerAssignments, ledgerGrants] = await Promise.all([
    known.serverApp ?? c.graph.requireApplication(serverUniqueName(c)),
    known.clientApp ?? (nativeApp ? c.graph.requireApplication(clientUniqueName(c)) : undefined),
    known.serverServicePrincipal ?? (serverAppId ? c.graph.findServicePrincipal(serverAppId) : undefined),
    known.clientServicePrincipal ?? (clientAppId ? c.graph.findServicePrincipal(clientAppId) : undefined),
    known.appRoleAssignments ?? (serverSpId ? c.graph.appRoleAssignments(serverSpId) : undefined),
    known.oauth2PermissionGrants ?? (clientSpId ? c.graph.permissionGrants(clientSpId) : undefined),
  ]);
  const [serverSp, clientSp] = await Promise.all([
    serverApp.appId === serverAppId ? ledgerServerSp : c.graph.findServicePrincipal(serverApp.appId),
    !clientApp
      ? undefined
      : clientApp.appId === clientAppId
        ? ledgerClientSp
        : c.graph.findServicePrincipal(clientApp.appId),
  ]);
  const [appRoleAssignments, oauth2PermissionGrants] = await Promise.all([
    !serverSp
      ? []
      : serverSp.id === serverSpId && ledgerAssignments
        ? ledgerAssignments
        : c.graph.appRoleAssignments(serverSp.id),
    !clientSp ? [] : clientSp.id === clientSpId && ledgerGrants ? ledgerGrants : c.graph.permissionGrants(clientSp.id),
  ]);
  return verifyRegistration(
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
    { now: c.now, ...(credentialKeyId === undefined ? {} : { credentialKeyId }) },
  );
}

/** What each step does in Graph and Key Vault. Every step is idempotent: safe to run again after a crash. */
const CREATE_STEP_HANDLERS: Record<StepName, (c: StepContext) => Promise<StepOutputs>> = {
  serverApp: async (c) => {
    await checkAppIdUriDomain(c);
    const upsert = buildServerApplication(serverAppSpec(c.request, c.requestId));
    const { app, created } = await c.graph.upsertApplication(upsert.uniqueName, upsert.body);
    return appOutputs(app, created);
  },

  serverSecret,

  serverServicePrincipal: async (c) => {
    const sp = await c.graph.upsertServicePrincipal(
      out(c, 'serverApp', 'appId'),
      buildServicePrincipal(c.requestId, 'server', c.request.serverApp.displayName),
    );
    return { objectId: sp.id, ...observedOutput(projectServicePrincipal(sp)) };
  },

  clientApp: async (c) => {
    const upsert = buildClientApplication({
      requestId: c.requestId,
      displayName: c.request.clientApp!.displayName,
      serverAppId: out(c, 'serverApp', 'appId'),
    });
    const { app, created } = await c.graph.upsertApplication(upsert.uniqueName, upsert.body);
    return appOutputs(app, created);
  },

  // The PATCH answers 204 with no body, so the client app is read back here — off the critical path (in parallel
  // with the client service principal and the grants) — and that read is what verify checks.
  clientRedirect: async (c) => {
    const objectId = out(c, 'clientApp', 'objectId');
    const patch = buildClientRedirectPatch(out(c, 'clientApp', 'appId'));
    await c.graph.patchApplication(objectId, patch);
    const app = await c.graph.requireApplicationById(objectId);
    return { redirectUri: patch.publicClient.redirectUris[0]!, ...observedOutput(projectApplication(app)) };
  },

  clientServicePrincipal: async (c) => {
    const sp = await c.graph.upsertServicePrincipal(
      out(c, 'clientApp', 'appId'),
      buildServicePrincipal(c.requestId, 'client', c.request.clientApp!.displayName),
    );
    return { objectId: sp.id, ...observedOutput(projectServicePrincipal(sp)) };
  },

  appRoleConsent: async (c) => {
    const graphSp = await c.graph.graphServicePrincipal();
    const ids = resolveGraphPermissionIds(graphSp);
    const serverSpId = out(c, 'serverServicePrincipal', 'objectId');
    // No read first: an assignment that exists already ("Permission being assigned already exists") counts as made.
    const assignment = await c.graph.assignAppRole(
      graphSp.id,
      buildDirectoryReadAllAssignment(serverSpId, graphSp.id, ids),
    );
    return {
      graphServicePrincipalId: graphSp.id,
      appRoleId: ids.directoryReadAllRoleId,
      ...(assignment ? observedOutput(projectAppRoleAssignment(assignment)) : {}),
    };
  },

  delegatedGrant: async (c) => {
    const grant = await ensureGrant(
      c.graph,
      buildUserImpersonationGrant(
        out(c, 'clientServicePrincipal', 'objectId'),
        out(c, 'serverServicePrincipal', 'objectId'),
      ),
    );
    return grantOutputs(grant);
  },

  clientGraphGrant: async (c) => {
    const graphSp = await c.graph.graphServicePrincipal();
    const grant = await ensureGrant(
      c.graph,
      buildGraphUserReadGrant(out(c, 'clientServicePrincipal', 'objectId'), graphSp.id),
    );
    return { graphServicePrincipalId: graphSp.id, ...grantOutputs(grant) };
  },

  // Checks Graph's answers to the steps' writes (no read on the happy path). Any deviation there — an answer from a
  // replica that lagged, an object changed since, a part with no answer — is confirmed against a full read-back
  // before the step fails, so what fails verify is always what Graph shows now.
  verify: async (c) => {
    const keyId = out(c, 'serverSecret', 'keyId');
    let deviations = await verifyAgainstRequirements(c, keyId, answeredRegistration(c.pipeline, c.requestId));
    if (deviations.length > 0) deviations = await verifyAgainstRequirements(c, keyId);
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

/** The handler of each step for the request's action (import has its own verify, serverSecret and complete). */
export const STEP_HANDLERS: Record<StepName, (c: StepContext) => Promise<StepOutputs>> = Object.fromEntries(
  STEP_NAMES.map((step) => [
    step,
    (c: StepContext) =>
      (c.request.action === 'import' ? IMPORT_STEP_HANDLERS[step] : undefined)?.(c) ?? CREATE_STEP_HANDLERS[step](c),
  ]),
) as Record<StepName, (c: StepContext) => Promise<StepOutputs>>;
