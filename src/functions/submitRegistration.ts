import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { API_ROLES } from '../shared/security/roles';
import { apiBase, readJsonBody } from '../shared/http/body';
import { submitRegistration } from '../shared/provisioning/requests';
import { stepsOutput, withStepOutbox } from '../shared/provisioning/outbox';
import { acceptedResponse } from '../shared/provisioning/view';

/** POST /api/registrations — a ticket in; 202 with a status URL (200 for a replay of the same ticket). */
export const submitRegistrationHandler = apiHandler(
  { role: API_ROLES.submit },
  async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const body = await readJsonBody(request);
    const services = getServices();
    // The first steps leave through the steps output binding: written with the invocation, listener woken at once.
    const { created, record } = await withStepOutbox(services.provisioning, context, (deps) =>
      submitRegistration(deps, body, { allowedTenantIds: services.config.allowedTenantIds }),
    );
    context.log(`registration ${record.requestId} for ticket ${record.ticketId}: ${created ? 'accepted' : 'replayed'}`);
    return acceptedResponse(record, apiBase(request), created ? 202 : 200);
  },
);

app.http('submitRegistration', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'registrations',
  extraOutputs: [stepsOutput],
  handler: submitRegistrationHandler,
});
