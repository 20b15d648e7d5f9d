import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { API_ROLES } from '../shared/security/roles';
import { apiBase } from '../shared/http/body';
import { retryRegistration } from '../shared/provisioning/requests';

/** POST /api/registrations/{id}/retry — restarts a Failed request from its failed step(s). */
export const retryRegistrationHandler = apiHandler(
  { role: API_ROLES.admin },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const record = await retryRegistration(getServices().provisioning, request.params.id ?? '');
    const statusUrl = `${apiBase(request)}/registrations/${record.requestId}`;
    return {
      status: 202,
      headers: { location: statusUrl, 'cache-control': 'no-store' },
      jsonBody: { id: record.requestId, status: record.pipeline.state, statusUrl },
    };
  },
);

app.http('retryRegistration', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'registrations/{id}/retry',
  handler: retryRegistrationHandler,
});
