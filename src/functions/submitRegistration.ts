import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiBase, readJsonBody } from '../shared/http/body';
import { problemResponse } from '../shared/http/problem';
import { submitRegistration } from '../shared/provisioning/requests';

/** POST /api/registrations — a ticket in; 202 with a status URL (200 for a replay of the same ticket). */
export async function submitRegistrationHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const body = await readJsonBody(request);
    const { created, record } = await submitRegistration(getServices().provisioning, body);
    const statusUrl = `${apiBase(request)}/registrations/${record.requestId}`;
    context.log(`registration ${record.requestId} for ticket ${record.ticketId}: ${created ? 'accepted' : 'replayed'}`);
    return {
      status: created ? 202 : 200,
      headers: { location: statusUrl, 'cache-control': 'no-store' },
      jsonBody: { id: record.requestId, status: record.pipeline.state, statusUrl },
    };
  } catch (err) {
    return problemResponse(err, context, new URL(request.url).pathname);
  }
}

app.http('submitRegistration', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'registrations',
  handler: submitRegistrationHandler,
});
