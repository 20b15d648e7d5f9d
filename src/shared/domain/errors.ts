/**
 * Domain errors: every error the domain raises carries a stable `code` (for clients and logs), the HTTP
 * `status` the API answers with, an optional `cause`, and optional per-field `errors`. `toProblemDetails`
 * turns any thrown value into an RFC 9457 problem document; unknown errors become a generic 500 that never
 * echoes the original message (it may contain Graph or Key Vault details).
 */

/** One item of a problem document's `errors` list: a field (JSON pointer) or a rule, a message and a stable code. */
export interface ProblemItem {
  readonly field?: string;
  readonly rule?: string;
  readonly message: string;
  readonly code: string;
}

/** RFC 9457 problem details, with the two extension members this API uses: `code` and `errors`. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly errors?: readonly ProblemItem[];
}

export interface DomainErrorOptions {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors?: readonly ProblemItem[];
  readonly cause?: unknown;
}

/** Problem `type` URIs are URNs: stable identifiers that don't pretend to be resolvable web pages. */
export const PROBLEM_TYPE_PREFIX = 'urn:cm-entra-provisioner:problem:';

export function problemType(code: string): string {
  return `${PROBLEM_TYPE_PREFIX}${code.toLowerCase().replace(/_/g, '-')}`;
}

export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly errors?: readonly ProblemItem[];

  constructor(options: DomainErrorOptions) {
    super(options.detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.status = options.status;
    this.title = options.title;
    if (options.errors !== undefined) this.errors = options.errors;
  }
}

/** 400: the request body is not a valid registration request. */
export class RequestValidationError extends DomainError {
  constructor(errors: readonly ProblemItem[], cause?: unknown) {
    super({
      code: 'REQUEST_INVALID',
      status: 400,
      title: 'The registration request is invalid',
      detail: `${errors.length} field(s) of the request are invalid; see errors.`,
      errors,
      cause,
    });
  }
}

/** 422: the request is well-formed, but the Configuration Manager service it names doesn't support what it asks. */
export class ServiceRuleViolationError extends DomainError {
  constructor(errors: readonly ProblemItem[]) {
    super({
      code: 'SERVICE_RULES_VIOLATED',
      status: 422,
      title: 'The request breaks the Configuration Manager service rules',
      detail: `${errors.length} service rule(s) are broken; see errors.`,
      errors,
    });
  }
}

/** 409: the same ticket was already submitted with a different body. */
export class IdempotencyConflictError extends DomainError {
  constructor(ticketId: string) {
    super({
      code: 'IDEMPOTENCY_CONFLICT',
      status: 409,
      title: 'The ticket was already submitted with a different request',
      detail: `Ticket '${ticketId}' was already submitted with a different body; resubmit the same body or use a new ticket.`,
    });
  }
}

/** 400: a cloud name that isn't in the cloud table. */
export class UnknownCloudError extends DomainError {
  constructor(name: string, known: readonly string[]) {
    super({
      code: 'UNKNOWN_CLOUD',
      status: 400,
      title: 'Unknown cloud',
      detail: `Unknown cloud '${name}'. Known clouds: ${known.join(', ')}.`,
    });
  }
}

/** 409: a state change the pipeline's transition table doesn't allow (usually a duplicate or out-of-order message). */
export class IllegalTransitionError extends DomainError {
  readonly subject: string;
  readonly from: string;
  readonly to: string;

  constructor(subject: string, from: string, to: string, reason?: string) {
    super({
      code: 'ILLEGAL_TRANSITION',
      status: 409,
      title: 'Illegal state transition',
      detail: `${subject}: ${from} -> ${to} is not allowed${reason ? ` (${reason})` : ''}.`,
    });
    this.subject = subject;
    this.from = from;
    this.to = to;
  }
}

/** 500: a value the domain needs is missing or malformed (a programming or data error, not the caller's). */
export class DomainInvariantError extends DomainError {
  constructor(code: string, detail: string, cause?: unknown) {
    super({ code, status: 500, title: 'Internal invariant violated', detail, cause });
  }
}

/**
 * Maps any thrown value to a problem document. Domain errors keep their code, status, detail and errors;
 * anything else becomes a 500 whose detail says nothing about the original error.
 */
export function toProblemDetails(error: unknown, instance?: string): ProblemDetails {
  const base =
    error instanceof DomainError
      ? {
          type: problemType(error.code),
          title: error.title,
          status: error.status,
          detail: error.message,
          code: error.code,
          ...(error.errors === undefined ? {} : { errors: error.errors }),
        }
      : {
          type: problemType('INTERNAL_ERROR'),
          title: 'Internal error',
          status: 500,
          detail: 'An unexpected error occurred.',
          code: 'INTERNAL_ERROR',
        };
  return instance === undefined ? base : { ...base, instance };
}
