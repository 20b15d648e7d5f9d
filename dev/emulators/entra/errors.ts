import { randomUUID } from 'node:crypto';
import { HttpError } from '../common/http';

/** Entra's timestamp format in error bodies: `2023-05-06 06:03:00Z`. */
function entraTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * An OAuth error as Entra's token endpoint returns it: `error`, `error_description` (`AADSTS{code}: {text}` then
 * trace id, correlation id and timestamp on their own lines), `error_codes`, `timestamp`, `trace_id`,
 * `correlation_id`, `error_uri`. The correlation id echoes the client's `client-request-id`.
 */
export function aadstsError(
  status: number,
  error: string,
  code: number,
  text: string,
  context: { authority: string; correlationId?: string; now?: number },
): HttpError {
  const now = context.now ?? Date.now();
  const traceId = randomUUID();
  const correlationId = context.correlationId ?? randomUUID();
  const timestamp = entraTimestamp(now);
  return new HttpError(status, {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${context.authority}/error?code=${code}`,
  });
}

/** The texts of the AADSTS errors the emulator produces, worded as Entra words them. */
export const AADSTS = {
  tenantNotFound: (tenant: string) =>
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  invalidSecret: (appId: string) =>
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
  expiredSecret: (appId: string) =>
    `The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
  unknownClient: (appId: string, directory: string) =>
    `Application with identifier '${appId}' was not found in the directory '${directory}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  missingServicePrincipal: (appId: string, tenantId: string) =>
    `The client application ${appId} is missing service principal in the tenant ${tenantId}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
  disabledApplication: (appId: string, name: string) => `Application '${appId}'(${name}) is disabled.`,
  missingCredential: () =>
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  missingParameter: (name: string) => `The request body must contain the following parameter: '${name}'.`,
  unsupportedGrantType: (grant: string) =>
    `The provided value for the input parameter 'grant_type' is not valid. Expected values are the following: 'authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'password', 'urn:ietf:params:oauth:grant-type:device_code'. Received: '${grant}'.`,
  scopeNotDefault: (scope: string) =>
    `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
  resourceNotFound: (resource: string, tenant: string) =>
    `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
  invalidAssertion: (detail: string) => `Client assertion failed signature validation. ${detail}`.trim(),
  assertionAudience: (aud: string) =>
    `The audience '${aud}' is invalid. The audience in the client assertion must be the token endpoint of the tenant.`,
  assertionExpired: () => 'The provided client assertion has expired.',
  certificateNotRegistered: (thumbprint: string, appId: string) =>
    `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${appId}'.]`,
} as const;
