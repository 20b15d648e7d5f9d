import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiBase } from '../shared/http/body';
import { problemResponse } from '../shared/http/problem';
import { retryRegistration } from '../shared/provisioning/requests';

/** POST /api/registrations/{id}/retry — restarts a Failed request from its failed step(s). */
export async function retryRegistrationHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const record = await retryRegistration(getServices().provisioning, request.params.id ?? '');
    const statusUrl = `${apiBase(request)}/registrations/${record.requestId}`;
    return {
      status: 202,
      headers: { location: statusUrl, 'cache-control': 'no-store' },
      jsonBody: { id: record.requestId, status: record.pipeline.state, statusUrl },
    };
  } catch (err) {
    return problemResponse(err, context, new URL(request.url).pathname);
  }
}

app.http('retryRegistration', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'registrations/{id}/retry',
  handler: retryRegistrationHandler,
});
