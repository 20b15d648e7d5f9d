import { classifyGraphFailure } from '../../../src/shared/adapters/graph/errors';
import { KeyVaultError } from '../../../src/shared/adapters/keyvault/secretStore';
import { toStepError } from '../../../src/shared/provisioning/runStep';

const graphError = (status: number, code: string, message: string, details: string[] = []) => ({
  status,
  body: { error: { code, message, details: details.map((d) => ({ code: d })) } },
  method: 'POST',
  path: '/servicePrincipals',
});

describe('Graph failures: only replication lag, throttling and server faults are transient', () => {
  it.each([
    [
      'NoBackingApplicationObject (400)',
      graphError(
        400,
        'Request_BadRequest',
        "The appId 'x' of the service principal does not reference a valid application object.",
        ['NoBackingApplicationObject'],
      ),
      'replicationLag',
    ],
    [
      'backing application not in the local tenant (403)',
      graphError(
        403,
        'Authorization_RequestDenied',
        'When using this permission, the backing application of the service principal being created must in the local tenant',
      ),
      'replicationLag',
    ],
    [
      'Not a valid reference update (400)',
      graphError(400, 'Request_BadRequest', 'Not a valid reference update.'),
      'replicationLag',
    ],
    ['429', graphError(429, 'TooManyRequests', 'Too many requests'), 'throttled'],
    ['503', graphError(503, 'ServiceUnavailable', 'Service unavailable'), 'transient'],
    ['409 Directory_ConcurrencyViolation', graphError(409, 'Directory_ConcurrencyViolation', 'busy'), 'concurrency'],
  ])('%s is retried', (_name, input, kind) => {
    const err = classifyGraphFailure(input);
    expect(err.kind).toBe(kind);
    expect(err.transient).toBe(true);
  });

  it.each([
    [
      'HostNameNotOnVerifiedDomain',
      graphError(400, 'HostNameNotOnVerifiedDomain', 'Values of identifierUris property must use a verified domain'),
      'invalid',
    ],
    [
      'identifierUris conflict',
      graphError(
        400,
        'Request_BadRequest',
        'Another object with the same value for property identifierUris already exists.',
      ),
      'conflict',
    ],
    [
      'Insufficient privileges',
      graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
      'forbidden',
    ],
    ['401', graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.'), 'unauthorized'],
  ])('%s is permanent', (_name, input, kind) => {
    const err = classifyGraphFailure(input);
    expect(err.kind).toBe(kind);
    expect(err.transient).toBe(false);
  });

  it('treats a 404 as lag only for an object the caller knows it created', () => {
    const notFound = graphError(
      404,
      'Request_ResourceNotFound',
      "Resource 'x' does not exist or one of its queried reference-property objects are not present.",
    );
    expect(classifyGraphFailure(notFound).kind).toBe('notFound');
    expect(classifyGraphFailure({ ...notFound, expectExisting: true }).kind).toBe('replicationLag');
  });

  it('reads Retry-After in seconds', () => {
    const err = classifyGraphFailure({
      ...graphError(429, 'TooManyRequests', 'slow down'),
      headers: new Headers({ 'retry-after': '7' }),
    });
    expect(err.retryAfterMs).toBe(7000);
  });

  it('treats a connection failure as transient', () => {
    const err = classifyGraphFailure({
      status: 0,
      body: undefined,
      method: 'GET',
      path: '/x',
      cause: new Error('socket hang up'),
    });
    expect(err.kind).toBe('transient');
  });
});

describe('step errors', () => {
  it('records a transient Graph failure as retryable with Graph’s Retry-After', () => {
    const e = toStepError(
      classifyGraphFailure({
        ...graphError(429, 'TooManyRequests', 'slow'),
        headers: new Headers({ 'retry-after': '3' }),
      }),
    );
    expect(e).toMatchObject({ code: 'GRAPH_THROTTLED', retryable: true, retryAfterSeconds: 3 });
    expect(e.message).toContain('TooManyRequests');
  });

  it('records a permanent Graph failure as terminal, with Graph’s code in the message', () => {
    const e = toStepError(classifyGraphFailure(graphError(400, 'HostNameNotOnVerifiedDomain', 'not verified')));
    expect(e).toMatchObject({ code: 'GRAPH_INVALID', retryable: false });
    expect(e.message).toContain('HostNameNotOnVerifiedDomain');
  });

  it('retries Key Vault 5xx and 429, not 403', () => {
    expect(toStepError(new KeyVaultError(503, 'ServiceUnavailable', 'x', undefined)).retryable).toBe(true);
    expect(toStepError(new KeyVaultError(429, 'Throttled', 'x', undefined)).retryable).toBe(true);
    expect(toStepError(new KeyVaultError(403, 'Forbidden', 'x', undefined)).retryable).toBe(false);
  });

  it('retries network failures and nothing unknown', () => {
    expect(toStepError(new Error('fetch failed')).retryable).toBe(true);
    expect(toStepError(new Error('something else')).retryable).toBe(false);
  });
});
