import {
  DomainError,
  IdempotencyConflictError,
  IllegalTransitionError,
  RequestValidationError,
  ServiceRuleViolationError,
  toProblemDetails,
} from '../../../src/shared/domain/errors';

describe('errors and problem details', () => {
  it('maps a validation error to a 400 problem with its field errors', () => {
    const errors = [{ field: '/tenantId', message: 'tenantId must be a GUID', code: 'INVALID_GUID' }];
    const p = toProblemDetails(new RequestValidationError(errors), '/api/registrations');
    expect(p).toEqual({
      type: 'urn:cm-entra-provisioner:problem:request-invalid',
      title: 'The registration request is invalid',
      status: 400,
      detail: '1 field(s) of the request are invalid; see errors.',
      code: 'REQUEST_INVALID',
      errors,
      instance: '/api/registrations',
    });
  });

  it('maps service rule violations to 422', () => {
    const p = toProblemDetails(new ServiceRuleViolationError([{ rule: 'R', code: 'R', message: 'm' }]));
    expect(p.status).toBe(422);
    expect(p.code).toBe('SERVICE_RULES_VIOLATED');
    expect(p.errors).toHaveLength(1);
    expect(p).not.toHaveProperty('instance');
  });

  it('maps an idempotency conflict to 409 and illegal transitions to 409', () => {
    expect(toProblemDetails(new IdempotencyConflictError('T-1'))).toMatchObject({
      status: 409,
      code: 'IDEMPOTENCY_CONFLICT',
    });
    const e = new IllegalTransitionError('step verify', 'Succeeded', 'Running');
    expect(toProblemDetails(e)).toMatchObject({ status: 409, code: 'ILLEGAL_TRANSITION' });
    expect(e.message).toBe('step verify: Succeeded -> Running is not allowed.');
  });

  it('never leaks the message of an unknown error', () => {
    const p = toProblemDetails(new Error('Graph said secretText=abc'));
    expect(p).toEqual({
      type: 'urn:cm-entra-provisioner:problem:internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'INTERNAL_ERROR',
    });
  });

  it('keeps the cause and the subclass name', () => {
    const cause = new Error('inner');
    const e = new DomainError({ code: 'X', status: 502, title: 't', detail: 'd', cause });
    expect(e.cause).toBe(cause);
    expect(e.name).toBe('DomainError');
    expect(new IdempotencyConflictError('a').name).toBe('IdempotencyConflictError');
    expect(new RequestValidationError([])).toBeInstanceOf(DomainError);
  });
});
