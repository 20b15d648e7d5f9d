import { REQUEST_STATES, registrationRequestJsonSchema, STEP_NAMES, STEP_STATUSES } from '../domain';
import { PROBLEM_JSON } from './problem';

const problem = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable error code' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['message', 'code'],
        properties: {
          field: { type: 'string', description: 'JSON pointer of the invalid field' },
          rule: { type: 'string' },
          message: { type: 'string' },
          code: { type: 'string' },
        },
      },
    },
  },
};

const accepted = {
  type: 'object',
  required: ['id', 'status', 'statusUrl'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { enum: [...REQUEST_STATES] },
    statusUrl: { type: 'string', format: 'uri' },
  },
};

const registration = {
  type: 'object',
  required: ['id', 'ticketId', 'status', 'steps', 'history', 'links'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    ticketId: { type: 'string' },
    status: { enum: [...REQUEST_STATES] },
    service: { type: 'string' },
    action: { type: 'string' },
    tenantId: { type: 'string', format: 'uuid' },
    tenantName: { type: 'string' },
    cloud: { type: 'string' },
    requestedBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { enum: [...STEP_NAMES] },
          status: { enum: [...STEP_STATUSES] },
          attempts: { type: 'integer' },
          dependsOn: { type: 'array', items: { enum: [...STEP_NAMES] } },
          updatedAt: { type: 'string', format: 'date-time' },
          retryAt: { type: 'string', format: 'date-time' },
          lastError: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
    objects: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } },
    secret: {
      type: 'object',
      description: 'Where the server app secret is kept; never its value.',
      properties: {
        keyVaultSecretId: { type: 'string', format: 'uri' },
        expiresOn: { type: 'string', format: 'date-time' },
        keyId: { type: 'string', format: 'uuid' },
      },
    },
    outputs: {
      type: 'object',
      description:
        'Once Succeeded: the Import dialogs’ values, the ccmsetup.exe properties and a PowerShell script that reads the secret from Key Vault and imports the apps into Configuration Manager.',
    },
    failure: { type: 'array', items: { type: 'object' } },
    history: { type: 'array', items: { type: 'object' } },
    links: { type: 'object', additionalProperties: { type: 'string', format: 'uri' } },
  },
};

const problems = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      { description: 'Problem', content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' } } } },
    ]),
  );

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

/** The OpenAPI 3.1 document; the request body schema is generated from the zod schema that validates it. */
export function openApiDocument(serverUrl: string): Record<string, unknown> {
  return withAuthProblems(document(serverUrl));
}

/** Every operation that is not anonymous (`security: []`) can answer 401 (no identity) and 403 (missing role). */
function withAuthProblems(doc: Record<string, unknown>): Record<string, unknown> {
  const paths = doc.paths as Record<string, Record<string, { security?: unknown[]; responses?: object }>>;
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item)) {
      if (Array.isArray(op.security) && op.security.length === 0) continue;
      op.responses = { ...op.responses, ...problems(401, 403) };
    }
  }
  return doc;
}

function document(serverUrl: string): Record<string, unknown> {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  return {
    openapi: '3.1.0',
    info: {
      title: 'cm-entra-provisioner',
      version: '1',
      description:
        'Creates the Microsoft Entra app registrations Configuration Manager needs for its cloud management gateway, from an ITSM ticket.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        entra: {
          type: 'oauth2',
          description:
            'An Entra access token for the API app (client credentials); app roles: Registrations.Submit (submit), Registrations.Read (read), Registrations.Admin (retry and lifecycle actions).',
          flows: {
            clientCredentials: {
              tokenUrl: 'https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/token',
              scopes: { '{API App ID URI}/.default': 'The app roles assigned to the caller' },
            },
          },
        },
      },
      schemas: {
        RegistrationRequest: registrationRequestJsonSchema(),
        Registration: registration,
        Accepted: accepted,
        Problem: problem,
      },
    },
    security: [{ functionKey: [], entra: [] }],
    paths: {
      '/registrations': {
        post: {
          operationId: 'submitRegistration',
          summary: 'Submit a ticket (idempotent on ticketId)',
          requestBody: { required: true, content: json('RegistrationRequest') },
          responses: {
            '202': { description: 'Accepted; follow the Location header', content: json('Accepted') },
            '200': {
              description: 'The same ticket with the same body was already accepted',
              content: json('Accepted'),
            },
            ...problems(400, 409, 413, 415, 422),
          },
        },
        get: {
          operationId: 'listRegistrations',
          parameters: [
            { name: 'status', in: 'query', schema: { enum: [...REQUEST_STATES] } },
            { name: 'tenantId', in: 'query', schema: { type: 'string', format: 'uuid' } },
            { name: 'ticketId', in: 'query', schema: { type: 'string' } },
            { name: 'top', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
            { name: 'continuationToken', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'A page of requests',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: { type: 'array', items: { type: 'object' } },
                      continuationToken: { type: ['string', 'null'] },
                      next: { type: ['string', 'null'], format: 'uri' },
                    },
                  },
                },
              },
            },
            ...problems(400),
          },
        },
      },
      '/registrations/{id}': {
        get: {
          operationId: 'getRegistration',
          parameters: [idParam],
          responses: { '200': { description: 'The request', content: json('Registration') }, ...problems(404) },
        },
        delete: {
          operationId: 'decommissionRegistration',
          summary:
            'Decommission: remove the managed credentials, consent grants and apps (Entra soft delete), disable the Key Vault secret (idempotent)',
          parameters: [idParam],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['confirm'],
                  properties: { confirm: { type: 'string', description: "The registration's ticket id" } },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'Decommissioned (what was removed)',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...problems(400, 404, 409),
          },
        },
      },
      '/registrations/{id}/retry': {
        post: {
          operationId: 'retryRegistration',
          summary: 'Restart a Failed request from its failed step(s)',
          parameters: [idParam],
          responses: { '202': { description: 'Restarted', content: json('Accepted') }, ...problems(404, 409) },
        },
      },
      '/registrations/{id}/audit': {
        get: {
          operationId: 'getRegistrationAudit',
          summary: 'The append-only audit trail: every state change with who (caller identity) and why',
          parameters: [idParam],
          responses: {
            '200': {
              description: 'Entries, oldest first',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      id: { type: 'string', format: 'uuid' },
                      entries: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: {
                            at: { type: 'string', format: 'date-time' },
                            subject: { type: 'string' },
                            from: { type: 'string' },
                            to: { type: 'string' },
                            actor: { type: 'string' },
                            actorKind: { enum: ['entraToken', 'appServiceAuth', 'system'] },
                            reason: { type: 'string' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            ...problems(404),
          },
        },
      },
      '/registrations/{id}/secret/renew': {
        post: {
          operationId: 'renewSecret',
          summary:
            'Force a renewal of the server app secret now: a new credential and Key Vault version; the old one stays until confirmed or expired',
          parameters: [idParam],
          responses: {
            '200': {
              description: 'Renewed; the secret view',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...problems(404, 409),
          },
        },
      },
      '/registrations/{id}/secret/confirm': {
        post: {
          operationId: 'confirmSecret',
          summary: 'Configuration Manager uses the renewed secret: remove the old credential (idempotent)',
          parameters: [idParam],
          responses: {
            '200': { description: 'The secret view', content: { 'application/json': { schema: { type: 'object' } } } },
            ...problems(404, 409),
          },
        },
      },
      '/registrations/{id}/reconcile': {
        post: {
          operationId: 'reconcileRegistration',
          summary:
            'Update Application Settings: report drift from the requirements and re-apply them (dryRun: report only)',
          parameters: [idParam],
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: { type: 'object', properties: { dryRun: { type: 'boolean', default: false } } },
              },
            },
          },
          responses: {
            '200': {
              description: 'Drift found, steps re-applied, deviations remaining',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      dryRun: { type: 'boolean' },
                      drift: { type: 'array', items: { type: 'object' } },
                      repaired: { type: 'array', items: { type: 'string' } },
                      remaining: { type: 'array', items: { type: 'object' } },
                      notRepaired: { type: 'array', items: { type: 'object' } },
                    },
                  },
                },
              },
            },
            ...problems(400, 404, 409),
          },
        },
      },
      '/secrets': {
        get: {
          operationId: 'listSecrets',
          summary:
            'Every managed secret with its expiry, state (valid, due, renewed-awaiting-confirmation, expired) and what to do',
          parameters: [
            { name: 'dueWithinDays', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 3660 } },
            { name: 'top', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            { name: 'continuationToken', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'A page of secrets, soonest expiry first',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: {
                            registrationId: { type: 'string', format: 'uuid' },
                            state: { enum: ['valid', 'due', 'renewed-awaiting-confirmation', 'expired'] },
                            expiresOn: { type: 'string', format: 'date-time' },
                            daysLeft: { type: 'integer' },
                            action: { type: 'string' },
                          },
                        },
                      },
                      continuationToken: { type: ['string', 'null'] },
                      next: { type: ['string', 'null'], format: 'uri' },
                    },
                  },
                },
              },
            },
            ...problems(400),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          security: [],
          responses: { '200': { description: 'Healthy' }, '503': { description: 'A dependency is unreachable' } },
        },
      },
    },
  };
}
