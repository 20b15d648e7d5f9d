import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { API_ROLES } from '../shared/security/roles';
import { confirmSecret } from '../shared/lifecycle/secrets';

/** POST /api/registrations/{id}/secret/confirm — Configuration Manager uses the renewed secret: remove the old one. */
export const confirmSecretHandler = apiHandler(
  { role: API_ROLES.admin },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const secret = await confirmSecret(getServices().lifecycle, request.params.id ?? '');
    return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: { secret } };
  },
);

app.http('confirmSecret', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'registrations/{id}/secret/confirm',
  handler: confirmSecretHandler,
});
