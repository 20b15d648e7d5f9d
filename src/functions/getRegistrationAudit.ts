import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { getRegistration } from '../shared/provisioning/requests';
import { auditLogOf } from '../shared/security/audit';
import { API_ROLES } from '../shared/security/roles';

/** GET /api/registrations/{id}/audit — the append-only audit trail (who and why), oldest first. Read-only. */
export const getRegistrationAuditHandler = apiHandler(
  { role: API_ROLES.read },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const { provisioning } = getServices();
    const record = await getRegistration(provisioning, request.params.id ?? '');
    const entries = await auditLogOf(provisioning.store).list(record.requestId);
    return { headers: { 'cache-control': 'no-store' }, jsonBody: { id: record.requestId, entries } };
  },
);

app.http('getRegistrationAudit', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'registrations/{id}/audit',
  handler: getRegistrationAuditHandler,
});
