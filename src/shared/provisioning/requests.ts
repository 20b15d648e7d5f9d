import {
  acceptRegistrationRequest,
  createPipeline,
  deriveRequestId,
  DomainError,
  IdempotencyConflictError,
  requestFingerprint,
  retryFailed,
  SERVICE_CATALOG,
  type RequestState,
} from '../domain';
import type { ListFilter, Page, RegistrationRecord } from '../adapters/tables/registrationStore';
import type { ProvisioningDeps } from './ports';
import { assertTenantAllowed, type IntakePolicy } from '../security/policy';
import { enqueueRunnable } from './runStep';

export class RegistrationNotFoundError extends DomainError {
  constructor(id: string) {
    super({
      code: 'REGISTRATION_NOT_FOUND',
      status: 404,
      title: 'Registration not found',
      detail: `No registration request has the id '${id}'.`,
    });
  }
}

/** `import` arrives with the secret lifecycle work; until then it is refused, not half-done. */
export class ActionNotAvailableError extends DomainError {
  constructor(action: string) {
    super({
      code: 'ACTION_NOT_AVAILABLE',
      status: 422,
      title: 'Action not available yet',
      detail: `The '${action}' action is not available in this version; use 'create'.`,
      errors: [{ field: '/action', code: 'ACTION_NOT_AVAILABLE', message: `'${action}' is not available yet` }],
    });
  }
}

/**
 * Intake: validates (400 every invalid field, 422 broken service rules), then creates the request once per ticket
 * id — the same ticket with the same body returns the existing request, with another body is a 409 — and queues
 * its first step. Nothing is written for a rejected request.
 */
export async function submitRegistration(
  deps: ProvisioningDeps,
  body: unknown,
  policy?: IntakePolicy,
): Promise<{ created: boolean; record: RegistrationRecord }> {
  const request = acceptRegistrationRequest(body);
  // The tenant allowlist (the HTTP API always passes it): refused with 403 before anything is written.
  if (policy) assertTenantAllowed(request.tenantId, policy);
  // create and import (the service catalog's allowed actions are checked by acceptRegistrationRequest: 422).
  const requestId = deriveRequestId(request.ticketId);
  const fingerprint = requestFingerprint(request);
  const now = deps.now();
  const pipeline = createPipeline(
    requestId,
    {
      action: request.action,
      userDiscovery: request.serverApp.userDiscovery,
      nativeApp: SERVICE_CATALOG[request.service].nativeApp,
    },
    now,
  );
  const record: RegistrationRecord = {
    requestId,
    ticketId: request.ticketId,
    fingerprint,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    request,
    pipeline,
  };
  if (await deps.store.create(record)) {
    await enqueueRunnable(deps, pipeline, requestId);
    return { created: true, record };
  }
  const existing = await deps.store.get(requestId);
  if (!existing) throw new Error(`registration ${requestId} exists but could not be read`);
  if (existing.record.fingerprint !== fingerprint) throw new IdempotencyConflictError(request.ticketId);
  // A replay of a request whose first message was lost (a crash between the write and the enqueue) starts it.
  if (existing.record.pipeline.state === 'Accepted') await enqueueRunnable(deps, existing.record.pipeline, requestId);
  return { created: false, record: existing.record };
}

export async function getRegistration(deps: ProvisioningDeps, id: string): Promise<RegistrationRecord> {
  const found = /^[0-9a-f-]{36}$/i.test(id) ? await deps.store.get(id.toLowerCase()) : undefined;
  if (!found) throw new RegistrationNotFoundError(id);
  return found.record;
}

export interface ListQuery {
  status?: RequestState;
  tenantId?: string;
  ticketId?: string;
  pageSize: number;
  continuationToken?: string;
}

export async function listRegistrations(deps: ProvisioningDeps, q: ListQuery): Promise<Page<RegistrationRecord>> {
  const filter: ListFilter = {
    ...(q.status ? { state: q.status } : {}),
    ...(q.tenantId ? { tenantId: q.tenantId } : {}),
    ...(q.ticketId ? { ticketId: q.ticketId } : {}),
  };
  if (q.continuationToken !== undefined && !isContinuationToken(q.continuationToken)) {
    throw new InvalidContinuationTokenError();
  }
  try {
    return await deps.store.list(filter, q.pageSize, q.continuationToken);
  } catch (err) {
    // A token that decodes but names keys Table Storage refuses: the caller's input, not a server fault.
    if (q.continuationToken !== undefined && (err as { statusCode?: number }).statusCode === 400) {
      throw new InvalidContinuationTokenError(err);
    }
    throw err;
  }
}

/** 400: a continuationToken this API did not hand out. */
export class InvalidContinuationTokenError extends DomainError {
  constructor(cause?: unknown) {
    super({
      code: 'INVALID_QUERY',
      status: 400,
      title: 'Invalid query',
      detail: 'continuationToken is not one this API returned; start again without it.',
      cause,
    });
  }
}

/** The Tables SDK's token shape: base64 of {"nextPartitionKey": string, "nextRowKey"?: string}. */
export function isContinuationToken(token: string): boolean {
  if (token.length > 2048 || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return false;
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString('latin1')) as unknown;
    if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) return false;
    const { nextPartitionKey, nextRowKey, ...rest } = decoded as Record<string, unknown>;
    return (
      typeof nextPartitionKey === 'string' &&
      (nextRowKey === undefined || typeof nextRowKey === 'string') &&
      Object.keys(rest).length === 0
    );
  } catch {
    return false;
  }
}

/** Restarts a Failed request from its failed step(s); 409 when it is not Failed. */
export async function retryRegistration(deps: ProvisioningDeps, id: string): Promise<RegistrationRecord> {
  await getRegistration(deps, id);
  const saved = await deps.store.update(id.toLowerCase(), (current) => {
    const now = deps.now();
    return { ...current, pipeline: retryFailed(current.pipeline, now), updatedAt: now.toISOString() };
  });
  if (!saved) throw new RegistrationNotFoundError(id);
  await enqueueRunnable(deps, saved.record.pipeline, saved.record.requestId);
  return saved.record;
}
