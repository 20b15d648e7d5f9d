/** One entry of an OData error's `details`. */
export interface GraphErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** A Graph error response: `{error:{code,message,details?,innerError}}` with this status and extra headers. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: GraphErrorDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Graph's innerError date: UTC without fraction or zone (`2025-07-25T08:54:06`). */
export function innerErrorDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, '');
}

export function errorBody(
  err: GraphError,
  ids: { requestId: string; clientRequestId: string; now: number },
): { error: Record<string, unknown> } {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
      innerError: {
        date: innerErrorDate(ids.now),
        'request-id': ids.requestId,
        'client-request-id': ids.clientRequestId,
      },
    },
  };
}

/** Graph's resource names in error messages ("... of resource 'Application'."). */
export type ResourceName = 'Application' | 'ServicePrincipal' | 'AppRoleAssignment' | 'OAuth2PermissionGrant';

/** The errors Microsoft Graph returns for directory objects, worded as the service words them. */
export const Errors = {
  notFound: (id: string) =>
    new GraphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    ),
  forbidden: () =>
    new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
  /** An OwnedBy caller creating a service principal whose application it cannot see in the tenant (yet). */
  backingApplicationNotLocal: () =>
    new GraphError(
      403,
      'Authorization_RequestDenied',
      'When using this permission, the backing application of the service principal being created must in the local tenant',
    ),
  badRequest: (message: string, details?: GraphErrorDetail[]) =>
    new GraphError(400, 'Request_BadRequest', message, details),
  unsupportedQuery: (message: string) => new GraphError(400, 'Request_UnsupportedQuery', message),
  invalidValue: (property: string, resource: ResourceName) =>
    new GraphError(
      400,
      'Request_BadRequest',
      `Invalid value specified for property '${property}' of resource '${resource}'.`,
    ),
  /** An unknown property on an open directory type (body, $select or $filter). */
  undeclaredProperty: (
    property: string,
    code: 'Request_BadRequest' | 'Request_UnsupportedQuery' = 'Request_BadRequest',
  ) => new GraphError(400, code, `Property '${property}' does not exist as a declared property or extension property.`),
  readOnly: (property: string) =>
    new GraphError(400, 'Request_BadRequest', `Property '${property}' is read-only and cannot be set.`),
  noBackingApplication: (appId: string) => {
    const message = `The appId '${appId}' of the service principal does not reference a valid application object.`;
    return new GraphError(400, 'Request_BadRequest', message, [
      { code: 'NoBackingApplicationObject', message, target: 'appId' },
    ]);
  },
  invalidReferenceUpdate: () => new GraphError(400, 'Request_BadRequest', 'Not a valid reference update.'),
  identifierUriConflict: () =>
    new GraphError(
      400,
      'Request_BadRequest',
      'Another object with the same value for property identifierUris already exists.',
      [
        {
          code: 'ObjectConflict',
          message: 'Another object with the same value for property identifierUris already exists.',
          target: 'identifierUris',
        },
      ],
    ),
  hostNameNotOnVerifiedDomain: (uri: string) => {
    const message = `Values of identifierUris property must use a verified domain of the organization or its subdomain: '${uri}'`;
    return new GraphError(400, 'HostNameNotOnVerifiedDomain', message, [
      { code: 'HostNameNotOnVerifiedDomain', message, target: 'identifierUris' },
    ]);
  },
  duplicateAppRoleAssignment: () =>
    new GraphError(400, 'Request_BadRequest', 'Permission being assigned already exists on the object.'),
  duplicateGrant: () =>
    new GraphError(409, 'Request_MultipleObjectsWithSameKeyValue', 'Permission entry already exists.'),
  concurrency: () =>
    new GraphError(
      409,
      'Directory_ConcurrencyViolation',
      'Another update operation is in progress on the object. Please retry the operation.',
    ),
  credentialLifetime: (policyId: string) => {
    const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${policyId}'.`;
    return new GraphError(400, 'CredentialInvalidLifetimeAsPerAppPolicy', message, [
      { code: 'InvalidKeyEndDate', message, target: 'EndDate' },
    ]);
  },
  enabledPermissionChanged: () =>
    new GraphError(
      400,
      'CannotDeleteOrUpdateEnabledEntitlement',
      'Permission (scope or role) cannot be deleted or updated unless disabled first.',
    ),
  ownerExists: () =>
    new GraphError(
      400,
      'Request_BadRequest',
      "One or more added object references already exist for the following modified properties: 'owners'.",
    ),
  countNotSupported: () => new GraphError(400, 'Request_BadRequest', '$count is not currently supported.'),
  advancedQueryRequired: (operator: string) =>
    new GraphError(
      400,
      'Request_UnsupportedQuery',
      `Operator '${operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
    ),
  methodNotAllowed: () =>
    new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.'),
  noRoute: (path: string) =>
    new GraphError(
      400,
      'BadRequest',
      `Resource not found for the segment '${path.split('/').filter(Boolean)[0] ?? path}'.`,
    ),
  throttled: (retryAfterSeconds: number, scope: string) =>
    new GraphError(429, 'TooManyRequests', 'Too many requests. Please retry again later.', undefined, {
      'retry-after': String(retryAfterSeconds),
      'x-ms-throttle-scope': scope,
      'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
    }),
  serverError: (status: 500 | 503) =>
    status === 503
      ? new GraphError(
          503,
          'serviceNotAvailable',
          'The service is temporarily unavailable. Please retry later.',
          undefined,
          {
            'retry-after': '1',
          },
        )
      : new GraphError(500, 'generalException', 'An unexpected error occurred. Please retry later.'),
} as const;
