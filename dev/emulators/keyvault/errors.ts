import { HttpError } from '../common/http';

/**
 * Key Vault's error bodies: `{"error":{"code","message","innererror"?}}`. The service spells the inner error
 * `innererror` (all lower case) on the wire; the messages below are the service's own where they are known
 * (recorded responses in the public SDK test suites), and marked otherwise.
 */
export interface KeyVaultErrorBody {
  error: { code: string; message: string; innererror?: { code: string } };
}

export function kvError(status: number, code: string, message: string, inner?: string): HttpError {
  const body: KeyVaultErrorBody = { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } };
  return new HttpError(status, body);
}

/** The resource Key Vault names in its challenge and expects as the token audience. */
export const VAULT_RESOURCE = 'https://vault.azure.net';
/** Audiences Key Vault accepts: the public and US Government resource URIs, and Key Vault's own application id (v2 tokens). */
export const ACCEPTED_AUDIENCES: readonly string[] = [
  VAULT_RESOURCE,
  'https://vault.usgovcloudapi.net',
  'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
];

/**
 * The challenge sent with every 401, as the service sends it:
 * `Bearer authorization="{authority}/{tenant}", resource="https://vault.azure.net"` (no `authorization_uri`;
 * `@azure/keyvault-common` reads `authorization` for the tenant and `resource` for the scope).
 */
export function challengeHeader(authority: string, tenantId: string): string {
  return `Bearer authorization="${authority.replace(/\/+$/, '')}/${tenantId}", resource="${VAULT_RESOURCE}"`;
}

/** 401 with the challenge. `message` is one of the AKV100xx / token validation messages below. */
export function unauthorized(message: string, authority: string, tenantId: string): HttpError {
  return new HttpError(401, { error: { code: 'Unauthorized', message } } satisfies KeyVaultErrorBody, {
    'www-authenticate': challengeHeader(authority, tenantId),
  });
}

export const AuthMessages = {
  missingToken: 'AKV10000: Request is missing a Bearer or PoP token.',
  invalidAudience: (found: string) => `AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}, found: ${found}.`,
  invalidIssuer: (expected: string[], found: string) =>
    `AKV10032: Invalid issuer. Expected one of ${expected.join(', ')}, found ${found}.`,
  unknownSigningKey: (encodedHeader: string) =>
    `AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '${encodedHeader}'`,
  expired: "[TokenExpired] Error validating token: 'S2S12086'.",
  /** The service says "Token not yet valid" for an nbf in the future. */
  notYetValid: 'Token not yet valid.',
  /** Emulator wording (the service's exact text for these is not recorded). */
  malformed: (reason: string) => `[InvalidToken] Error validating token: ${reason}`,
  badSignature: '[InvalidSignature] Error validating token: the signature does not verify.',
} as const;

export function secretNotFound(name: string, version?: string): HttpError {
  const id = version ? `${name}/${version}` : name;
  return kvError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

export function deletedSecretNotFound(name: string): HttpError {
  return kvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
}

export function deletedButRecoverable(name: string): HttpError {
  return kvError(
    409,
    'Conflict',
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
    'ObjectIsDeletedButRecoverable',
  );
}

export function beingDeleted(): HttpError {
  return kvError(409, 'Conflict', 'Secret is currently being deleted.', 'ObjectIsBeingDeleted');
}

/** Emulator wording, shaped like `beingDeleted` (the service's text for a recovery in progress is not recorded). */
export function beingRecovered(): HttpError {
  return kvError(409, 'Conflict', 'Secret is currently being recovered.', 'ObjectIsBeingRecovered');
}

export function secretDisabled(): HttpError {
  return kvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
}

/** Purge on a vault with purge protection (wording approximates the service). */
export function purgeProtected(): HttpError {
  return kvError(
    403,
    'Forbidden',
    'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
  );
}

export function invalidName(name: string): HttpError {
  return kvError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
}

export function badParameter(message: string): HttpError {
  return kvError(400, 'BadParameter', message);
}

export function unsupportedApiVersion(requested: string, latest: string): HttpError {
  return kvError(
    400,
    'BadParameter',
    `The specified version (${requested}) is not recognized. Consider using the latest supported version (${latest}).`,
  );
}

/** Emulator wording for a request without `api-version` (the service rejects it; its text is not recorded). */
export function missingApiVersion(): HttpError {
  return kvError(400, 'BadParameter', 'The api-version query parameter is required.');
}

export interface RbacDenial {
  appid: string | undefined;
  oid: string | undefined;
  iss: string;
  action: string;
  resource: string;
  vaultName: string;
  location: string;
}

/** The RBAC refusal, line by line as the service writes it (CRLF separated, trailing CRLF). */
export function forbiddenByRbac(d: RbacDenial): HttpError {
  const message = [
    'Caller is not authorized to perform action on resource.',
    'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
    `Caller: appid=${d.appid ?? ''};oid=${d.oid ?? ''};iss=${d.iss}`,
    `Action: '${d.action}'`,
    `Resource: '${d.resource}'`,
    'Assignment: (not found)',
    'DenyAssignmentId: null',
    "DecisionReason: 'DeniedWithNoValidRBAC' ",
    `Vault: ${d.vaultName};location=${d.location}`,
    '',
  ].join('\r\n');
  return kvError(403, 'Forbidden', message, 'ForbiddenByRbac');
}

/** Key Vault's throttling answer (HTTP 429 with Retry-After). */
export function throttled(retryAfterSeconds: number): HttpError {
  return new HttpError(
    429,
    {
      error: {
        code: 'Throttled',
        message:
          'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
      },
    } satisfies KeyVaultErrorBody,
    { 'retry-after': String(retryAfterSeconds) },
  );
}

/** Emulator wording for injected server errors. */
export function serverError(status: 500 | 503): HttpError {
  return status === 503
    ? kvError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry the request.')
    : kvError(500, 'InternalServerError', 'An internal server error occurred. Please retry the request.');
}
