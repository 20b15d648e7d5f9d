import { buildHandoff, DomainError, getCloud, SERVICE_CATALOG, stepOutput, type StepName } from '../domain';
import { GraphRequestError } from '../adapters/graph/errors';
import type { StepContext } from './ports';
// steps.ts dispatches to this module; the cycle is safe because each side uses the other only when a step runs.
import { storeServerSecret, verifyAgainstRequirements } from './steps';

type StepOutputs = Record<string, string>;

/** The app named in an import request is not in the tenant. Terminal: fix the request. */
export class ImportAppNotFoundError extends DomainError {
  constructor(role: 'server' | 'client', appId: string, tenantId: string) {
    super({
      code: 'IMPORT_APP_NOT_FOUND',
      status: 422,
      title: 'The app to import does not exist',
      detail: `No application with the Application (client) ID ${appId} (${role} app) exists in tenant ${tenantId}.`,
    });
  }
}

/**
 * The provisioner may read but not change an app it does not own (Application.ReadWrite.OwnedBy). Adopting the
 * server secret needs addPassword on the app, so an Entra admin makes the provisioner an owner first. Terminal
 * until then; `POST …/retry` resumes.
 */
export class ImportNotOwnerError extends DomainError {
  constructor(
    appId: string,
    objectId: string,
    requestId: string,
    cause: unknown,
    then = `POST /api/registrations/${requestId}/retry`,
  ) {
    super({
      code: 'IMPORT_PROVISIONER_NOT_OWNER',
      status: 403,
      title: 'The provisioner does not own the app to import',
      detail:
        `The provisioner cannot add a secret to app ${appId}: with Application.ReadWrite.OwnedBy it may only change ` +
        `apps it owns. An Entra admin adds the cm-entra-provisioner enterprise application as an owner of the app ` +
        `(Entra admin center > App registrations > the app > Owners > Add owners; or New-MgApplicationOwnerByRef ` +
        `-ApplicationId ${objectId} with the provisioner's service principal), then ${then}.`,
      cause,
    });
  }
}

const out = (c: StepContext, step: StepName, key: string): string => stepOutput(c.pipeline, step, key);

/** Entra needs a moment before a new secret signs in (AADSTS7000215 meanwhile): the proof is retried briefly. */
async function proveWithRetry(c: StepContext, appId: string, secret: string): Promise<void> {
  const cloud = getCloud(c.request.cloud);
  for (let attempt = 1; ; attempt++) {
    try {
      return await c.proveClientSecret(c.request.tenantId, cloud, appId, secret);
    } catch (err) {
      const lag = /AADSTS(7000215|700016|7000229)/.test(err instanceof Error ? err.message : String(err));
      if (!lag || attempt >= 6) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

/**
 * The import action's steps (verify → serverSecret → complete): the existing apps are read by their client ids
 * and checked with the same rules as provisioning's verify step (every deviation is reported, not fixed); the
 * server secret is adopted — a managed secret added to the app, proven by obtaining a token for the tenant, stored
 * in Key Vault and indexed for renewal — and the hand-off is written as for created apps.
 */
export const IMPORT_STEP_HANDLERS: Partial<Record<StepName, (c: StepContext) => Promise<StepOutputs>>> = {
  verify: async (c) => {
    const serverAppId = c.request.serverApp.appId!;
    const server = await c.graph.getApplicationByAppId(serverAppId);
    if (!server) throw new ImportAppNotFoundError('server', serverAppId, c.request.tenantId);
    const native = SERVICE_CATALOG[c.request.service].nativeApp;
    const clientAppId = native ? c.request.clientApp?.appId : undefined;
    const client = clientAppId ? await c.graph.getApplicationByAppId(clientAppId) : undefined;
    if (clientAppId && !client) throw new ImportAppNotFoundError('client', clientAppId, c.request.tenantId);
    const deviations = await verifyAgainstRequirements(c, undefined, {
      serverApp: server,
      ...(client ? { clientApp: client } : {}),
    });
    return {
      serverAppId: server.appId,
      serverObjectId: server.id,
      ...(client ? { clientAppId: client.appId, clientObjectId: client.id } : {}),
      deviations: String(deviations.length),
      deviationReport: JSON.stringify(deviations),
    };
  },

  serverSecret: async (c) => {
    const objectId = out(c, 'verify', 'serverObjectId');
    const appId = out(c, 'verify', 'serverAppId');
    const app = await c.graph.requireApplicationById(objectId);
    let stored;
    try {
      stored = await storeServerSecret(c, appId, app, (secret) => proveWithRetry(c, appId, secret));
    } catch (err) {
      if (err instanceof GraphRequestError && err.kind === 'forbidden') {
        throw new ImportNotOwnerError(appId, objectId, c.requestId, err);
      }
      throw err;
    }
    return {
      ...stored,
      serverObjectId: objectId,
      serverAppId: appId,
      tokenVerified: 'true',
    };
  },

  complete: (c) => {
    const clientAppId = c.pipeline.steps.verify.outputs?.clientAppId;
    const handoff = buildHandoff({
      request: c.request,
      serverAppId: out(c, 'verify', 'serverAppId'),
      ...(clientAppId ? { clientAppId } : {}),
      secretKeyExpiry: out(c, 'serverSecret', 'expiresOn'),
      keyVaultSecretId: out(c, 'serverSecret', 'keyVaultSecretId'),
    });
    const deviations = JSON.parse(c.pipeline.steps.verify.outputs?.deviationReport ?? '[]') as unknown[];
    return Promise.resolve({ handoff: JSON.stringify({ ...handoff, importReport: { deviations } }) });
  },
};
