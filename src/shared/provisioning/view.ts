import { failedSteps, STEP_NAMES, type StepName } from '../domain';
import type { RegistrationRecord } from '../adapters/tables/registrationStore';

/** The created objects' ids, from the step ledger. */
function objects(record: RegistrationRecord): Record<string, Record<string, string>> {
  const o = (step: StepName) => record.pipeline.steps[step].outputs ?? {};
  const pick = (step: StepName, keys: string[]) =>
    Object.fromEntries(keys.filter((k) => o(step)[k] !== undefined).map((k) => [k, o(step)[k]!]));
  const result: Record<string, Record<string, string>> = {
    serverApp: pick('serverApp', ['appId', 'objectId']),
    serverServicePrincipal: pick('serverServicePrincipal', ['objectId']),
    clientApp: pick('clientApp', ['appId', 'objectId']),
    clientServicePrincipal: pick('clientServicePrincipal', ['objectId']),
  };
  return Object.fromEntries(Object.entries(result).filter(([, v]) => Object.keys(v).length > 0));
}

/**
 * What the status API shows for a request: state, each step, the created objects, where the secret is (never its
 * value), the hand-off for Configuration Manager once it succeeded, and the history of state changes.
 */
export function registrationView(record: RegistrationRecord, apiBase: string): Record<string, unknown> {
  const { request, pipeline } = record;
  const secret = pipeline.steps.serverSecret.outputs;
  const self = `${apiBase}/registrations/${record.requestId}`;
  return {
    id: record.requestId,
    ticketId: record.ticketId,
    status: pipeline.state,
    service: request.service,
    action: request.action,
    tenantId: request.tenantId,
    tenantName: request.tenantName,
    cloud: request.cloud,
    requestedBy: request.requestedBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    steps: STEP_NAMES.map((name) => {
      const s = pipeline.steps[name];
      return {
        name,
        status: s.status,
        attempts: s.attempts,
        dependsOn: s.dependsOn,
        ...(s.updatedAt ? { updatedAt: s.updatedAt } : {}),
        ...(s.retryAt ? { retryAt: s.retryAt } : {}),
        ...(s.lastError ? { lastError: { code: s.lastError.code, message: s.lastError.message } } : {}),
      };
    }),
    objects: objects(record),
    // After a renewal the lifecycle state is current; before, the serverSecret step's outputs are.
    ...(record.secret
      ? {
          secret: {
            keyVaultSecretId: record.secret.current.keyVaultSecretId,
            expiresOn: record.secret.current.expiresOn,
            keyId: record.secret.current.keyId,
            ...(record.secret.previous
              ? { previous: { keyId: record.secret.previous.keyId, expiresOn: record.secret.previous.expiresOn } }
              : {}),
          },
        }
      : secret?.keyVaultSecretId
        ? { secret: { keyVaultSecretId: secret.keyVaultSecretId, expiresOn: secret.expiresOn, keyId: secret.keyId } }
        : {}),
    ...(pipeline.state === 'Failed' ? { failure: failedSteps(pipeline) } : {}),
    ...(record.outputs ? { outputs: record.outputs } : {}),
    ...(record.decommission ? { decommission: record.decommission } : {}),
    history: pipeline.history,
    links: { self, ...(pipeline.state === 'Failed' ? { retry: `${self}/retry` } : {}) },
  };
}

/**
 * The answer to an accepted submit or retry (the OpenAPI `Accepted` schema): the request's id and state, and its
 * status URL, also in the Location header.
 */
export function acceptedResponse(
  record: RegistrationRecord,
  apiBase: string,
  status: 200 | 202,
): { status: number; headers: Record<string, string>; jsonBody: Record<string, string> } {
  const statusUrl = `${apiBase}/registrations/${record.requestId}`;
  return {
    status,
    headers: { location: statusUrl, 'cache-control': 'no-store' },
    jsonBody: { id: record.requestId, status: record.pipeline.state, statusUrl },
  };
}
