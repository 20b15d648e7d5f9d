import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { API_ROLES } from '../shared/security/roles';
import { getSecret, renewSecret } from '../shared/lifecycle/secrets';

/** POST /api/registrations/{id}/secret/renew — forces a renewal now (409 while a renewed secret awaits confirmation). */
export const renewSecretHandler = apiHandler(
  { role: API_ROLES.admin },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const deps = getServices().lifecycle;
    const id = request.params.id ?? '';
    const result = await renewSecret(deps, id, { force: true });
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      jsonBody: { renewed: result.renewed, secret: await getSecret(deps, result.record.requestId) },
    };
  },
);

app.http('renewSecret', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'registrations/{id}/secret/renew',
  handler: renewSecretHandler,
});
