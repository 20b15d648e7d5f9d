import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiBase } from '../shared/http/body';
import { problemResponse } from '../shared/http/problem';
import { getRegistration } from '../shared/provisioning/requests';
import { registrationView } from '../shared/provisioning/view';

/** GET /api/registrations/{id} — state, steps, created objects, secret location, hand-off, history. */
export async function getRegistrationHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const record = await getRegistration(getServices().provisioning, request.params.id ?? '');
    return { headers: { 'cache-control': 'no-store' }, jsonBody: registrationView(record, apiBase(request)) };
  } catch (err) {
    return problemResponse(err, context, new URL(request.url).pathname);
  }
}

app.http('getRegistration', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'registrations/{id}',
  handler: getRegistrationHandler,
});
