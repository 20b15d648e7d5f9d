import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { DomainError, toProblemDetails } from '../domain';

export const PROBLEM_JSON = 'application/problem+json';

/** Errors of the HTTP layer itself (media type, size, JSON syntax, query parameters). */
export class HttpRequestError extends DomainError {
  constructor(status: number, code: string, title: string, detail: string) {
    super({ code, status, title, detail });
  }
}

/**
 * Any error → an RFC 9457 problem response. Errors with a stable code keep it; anything else is logged in full
 * (with its stack) and answered with a generic 500 that carries the invocation id to find it in the logs.
 */
export function problemResponse(err: unknown, context: InvocationContext, instance?: string): HttpResponseInit {
  const problem = toProblemDetails(err, instance);
  if (!(err instanceof DomainError)) {
    context.error(`unhandled error (invocation ${context.invocationId}):`, err);
  } else if (problem.status >= 500) {
    context.error(`${problem.code}: ${problem.detail}`, err.cause ?? '');
  }
  const body =
    problem.status >= 500 && !(err instanceof DomainError)
      ? { ...problem, detail: `${problem.detail} Reference: ${context.invocationId}.` }
      : problem;
  return {
    status: problem.status,
    headers: { 'content-type': PROBLEM_JSON, 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}
