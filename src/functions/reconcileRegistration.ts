import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { readJsonBody } from '../shared/http/body';
import { HttpRequestError } from '../shared/http/problem';
import { API_ROLES } from '../shared/security/roles';
import { reconcileRegistration } from '../shared/lifecycle/reconcile';

async function dryRunOf(request: HttpRequest): Promise<boolean> {
  const hasBody = Number(request.headers.get('content-length') ?? 0) > 0 || request.headers.has('content-type');
  if (!hasBody) return false;
  const body = await readJsonBody(request);
  const dryRun = (body as { dryRun?: unknown } | null)?.dryRun;
  if (dryRun !== undefined && typeof dryRun !== 'boolean') {
    throw new HttpRequestError(400, 'INVALID_BODY', 'Invalid body', 'dryRun must be true or false.');
  }
  return dryRun === true;
}

/**
 * POST /api/registrations/{id}/reconcile — re-applies the required settings to the existing apps and reports the
 * drift it fixed; `{"dryRun": true}` only reports it.
 */
export const reconcileRegistrationHandler = apiHandler(
  { role: API_ROLES.admin },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const dryRun = await dryRunOf(request);
    const result = await reconcileRegistration(getServices().lifecycle, request.params.id ?? '', { dryRun });
    return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: result };
  },
);

app.http('reconcileRegistration', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'registrations/{id}/reconcile',
  handler: reconcileRegistrationHandler,
});
