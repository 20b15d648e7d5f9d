/**
 * What the provisioning steps saw of the objects they wrote, as Graph answered the writes (a 201 body, or the read
 * that follows a 204 or a PATCH), recorded in the step ledger under {@link OBSERVED_OUTPUT}. The verify step checks
 * the registration against these answers instead of reading every object back — the read-backs were 6 of 16 Graph
 * calls per request and a dependent round trip at the end of the critical path. Only the properties verify compares
 * are kept: never secretText, never a credential's hint.
 */
import { credentialMarker } from './naming';
import type { PipelineState, StepName } from './pipeline';
import type {
  ObservedAppRoleAssignment,
  ObservedApplication,
  ObservedPermissionGrant,
  ObservedServicePrincipal,
} from './verify';

/** The step-output key under which a step records Graph's answer (JSON). */
export const OBSERVED_OUTPUT = 'observed';

/** The parts of a registration the steps' answers show; an absent part must be read from Graph. */
export interface AnsweredRegistration {
  serverApp?: ObservedApplication;
  clientApp?: ObservedApplication;
  serverServicePrincipal?: ObservedServicePrincipal;
  clientServicePrincipal?: ObservedServicePrincipal;
  appRoleAssignments?: readonly ObservedAppRoleAssignment[];
  oauth2PermissionGrants?: readonly ObservedPermissionGrant[];
}

const pick = <T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Pick<T, K>;

/** An application as verify compares it; password credentials keep keyId, displayName and endDateTime only. */
export function projectApplication(app: ObservedApplication): ObservedApplication {
  const base = pick(app, [
    'id',
    'appId',
    'displayName',
    'signInAudience',
    'identifierUris',
    'isFallbackPublicClient',
    'publicClient',
    'requiredResourceAccess',
  ]);
  const web = app.web
    ? {
        web: {
          ...(app.web.homePageUrl !== undefined ? { homePageUrl: app.web.homePageUrl } : {}),
          ...(app.web.implicitGrantSettings !== undefined
            ? {
                implicitGrantSettings: app.web.implicitGrantSettings && {
                  enableIdTokenIssuance: app.web.implicitGrantSettings.enableIdTokenIssuance,
                },
              }
            : {}),
        },
      }
    : {};
  const scopes = app.api?.oauth2PermissionScopes;
  const api = app.api
    ? {
        api: {
          ...(scopes !== undefined
            ? {
                oauth2PermissionScopes:
                  scopes &&
                  scopes.map((s) =>
                    pick(s, ['id', 'value', 'type', 'isEnabled', 'adminConsentDisplayName', 'adminConsentDescription']),
                  ),
              }
            : {}),
        },
      }
    : {};
  const passwordCredentials = app.passwordCredentials
    ? {
        passwordCredentials: app.passwordCredentials.map((p) => ({
          keyId: p.keyId,
          displayName: p.displayName,
          endDateTime: p.endDateTime,
        })),
      }
    : {};
  return { ...base, ...web, ...api, ...passwordCredentials };
}

export function projectServicePrincipal(sp: ObservedServicePrincipal): ObservedServicePrincipal {
  return pick(sp, ['id', 'appId', 'accountEnabled']);
}

export function projectAppRoleAssignment(a: ObservedAppRoleAssignment): ObservedAppRoleAssignment {
  return pick(a, ['principalId', 'resourceId', 'appRoleId']);
}

export function projectPermissionGrant(g: ObservedPermissionGrant): ObservedPermissionGrant {
  return pick(g, ['clientId', 'consentType', 'resourceId', 'scope']);
}

/** The ledger output that records an answer. */
export function observedOutput(answer: object): Record<string, string> {
  return { [OBSERVED_OUTPUT]: JSON.stringify(answer) };
}

function answerOf<T>(pipeline: PipelineState, step: StepName): T | undefined {
  const record = pipeline.steps[step];
  const raw = record.status === 'Succeeded' ? record.outputs?.[OBSERVED_OUTPUT] : undefined;
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined; // unreadable: verify reads the object from Graph instead
  }
}

/**
 * The registration as the steps' answers show it. The server app is its upsert answer with the credential
 * addPassword answered (keyId and endDateTime from the serverSecret step); the client app is the read that followed
 * the redirect PATCH. Consents of skipped steps are known to be empty; a consent written over an existing one (a
 * re-run: Graph answered 409 and the scopes were extended) has no answer and is left for verify to read.
 */
export function answeredRegistration(pipeline: PipelineState, requestId: string): AnsweredRegistration {
  const steps = pipeline.steps;
  const result: AnsweredRegistration = {};

  const server = answerOf<ObservedApplication>(pipeline, 'serverApp');
  const secret = steps.serverSecret.status === 'Succeeded' ? steps.serverSecret.outputs : undefined;
  if (server && secret?.keyId && secret.expiresOn) {
    result.serverApp = {
      ...server,
      passwordCredentials: [
        { keyId: secret.keyId, displayName: credentialMarker(requestId), endDateTime: secret.expiresOn },
      ],
    };
  }
  const serverSp = answerOf<ObservedServicePrincipal>(pipeline, 'serverServicePrincipal');
  if (serverSp) result.serverServicePrincipal = serverSp;

  if (steps.appRoleConsent.status === 'Skipped') result.appRoleAssignments = [];
  else {
    const assignment = answerOf<ObservedAppRoleAssignment>(pipeline, 'appRoleConsent');
    if (assignment) result.appRoleAssignments = [assignment];
  }

  if (steps.clientApp.status === 'Skipped') {
    result.oauth2PermissionGrants = [];
    return result;
  }
  const client = answerOf<ObservedApplication>(pipeline, 'clientRedirect');
  if (client) result.clientApp = client;
  const clientSp = answerOf<ObservedServicePrincipal>(pipeline, 'clientServicePrincipal');
  if (clientSp) result.clientServicePrincipal = clientSp;
  const grants = (['delegatedGrant', 'clientGraphGrant'] as const).map((s) =>
    answerOf<ObservedPermissionGrant>(pipeline, s),
  );
  if (grants.every((g): g is ObservedPermissionGrant => g !== undefined)) result.oauth2PermissionGrants = grants;
  return result;
}
