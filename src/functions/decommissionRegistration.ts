import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { readJsonBody } from '../shared/http/body';
import { API_ROLES } from '../shared/security/roles';
import { decommissionRegistration } from '../shared/lifecycle/decommission';

/**
 * DELETE /api/registrations/{id} with `{"confirm": "<ticket id>"}` — removes the managed credentials, the consent
 * grants and the apps (Entra soft delete), disables the Key Vault secret and records it. Repeating it is harmless.
 */
export const decommissionRegistrationHandler = apiHandler(
  { role: API_ROLES.admin },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const body = await readJsonBody(request);
    const { record, decommission } = await decommissionRegistration(
      getServices().lifecycle,
      request.params.id ?? '',
      body,
    );
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      jsonBody: { id: record.requestId, ticketId: record.ticketId, decommission },
    };
  },
);

app.http('decommissionRegistration', {
  methods: ['DELETE'],
  authLevel: 'function',
  route: 'registrations/{id}',
  handler: decommissionRegistrationHandler,
});
