import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { API_ROLES } from '../shared/security/roles';
import { apiBase } from '../shared/http/body';
import { getRegistration } from '../shared/provisioning/requests';
import { registrationView } from '../shared/provisioning/view';

/** GET /api/registrations/{id} — state, steps, created objects, secret location, hand-off, history. */
export const getRegistrationHandler = apiHandler(
  { role: API_ROLES.read },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const record = await getRegistration(getServices().provisioning, request.params.id ?? '');
    return { headers: { 'cache-control': 'no-store' }, jsonBody: registrationView(record, apiBase(request)) };
  },
);

app.http('getRegistration', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'registrations/{id}',
  handler: getRegistrationHandler,
});
