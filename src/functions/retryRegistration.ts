import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { API_ROLES } from '../shared/security/roles';
import { apiBase } from '../shared/http/body';
import { retryRegistration } from '../shared/provisioning/requests';
import { stepsOutput, withStepOutbox } from '../shared/provisioning/outbox';
import { acceptedResponse } from '../shared/provisioning/view';

/** POST /api/registrations/{id}/retry — restarts a Failed request from its failed step(s). */
export const retryRegistrationHandler = apiHandler(
  { role: API_ROLES.admin },
  async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const record = await withStepOutbox(getServices().provisioning, context, (deps) =>
      retryRegistration(deps, request.params.id ?? ''),
    );
    return acceptedResponse(record, apiBase(request), 202);
  },
);

app.http('retryRegistration', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'registrations/{id}/retry',
  extraOutputs: [stepsOutput],
  handler: retryRegistrationHandler,
});
