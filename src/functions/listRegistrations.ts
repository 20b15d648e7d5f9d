import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { API_ROLES } from '../shared/security/roles';
import { REQUEST_STATES, type RequestState } from '../shared/domain';
import { apiBase } from '../shared/http/body';
import { HttpRequestError } from '../shared/http/problem';
import { listRegistrations, type ListQuery } from '../shared/provisioning/requests';

function parseQuery(q: URLSearchParams): ListQuery {
  const status = q.get('status') ?? undefined;
  if (status !== undefined && !(REQUEST_STATES as readonly string[]).includes(status)) {
    throw new HttpRequestError(
      400,
      'INVALID_QUERY',
      'Invalid query',
      `status must be one of ${REQUEST_STATES.join(', ')}.`,
    );
  }
  const top = Number(q.get('top') ?? 25);
  if (!Number.isInteger(top) || top < 1 || top > 100) {
    throw new HttpRequestError(400, 'INVALID_QUERY', 'Invalid query', 'top must be an integer from 1 to 100.');
  }
  const tenantId = q.get('tenantId') ?? undefined;
  if (tenantId !== undefined && !/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(tenantId)) {
    throw new HttpRequestError(400, 'INVALID_QUERY', 'Invalid query', 'tenantId must be a GUID.');
  }
  return {
    pageSize: top,
    ...(status ? { status: status as RequestState } : {}),
    ...(tenantId ? { tenantId } : {}),
    ...(q.get('ticketId') ? { ticketId: q.get('ticketId')! } : {}),
    ...(q.get('continuationToken') ? { continuationToken: q.get('continuationToken')! } : {}),
  };
}

/** GET /api/registrations?status=&tenantId=&ticketId=&top=&continuationToken= */
export const listRegistrationsHandler = apiHandler(
  { role: API_ROLES.read },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const query = parseQuery(request.query);
    const page = await listRegistrations(getServices().provisioning, query);
    const base = apiBase(request);
    let next: string | null = null;
    if (page.continuationToken) {
      const url = new URL(request.url);
      url.searchParams.set('continuationToken', page.continuationToken);
      next = `${base}/registrations${url.search}`;
    }
    return {
      headers: { 'cache-control': 'no-store' },
      jsonBody: {
        items: page.items.map((r) => ({
          id: r.requestId,
          ticketId: r.ticketId,
          status: r.pipeline.state,
          service: r.request.service,
          tenantId: r.request.tenantId,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
          statusUrl: `${base}/registrations/${r.requestId}`,
        })),
        continuationToken: page.continuationToken ?? null,
        next,
      },
    };
  },
);

app.http('listRegistrations', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'registrations',
  handler: listRegistrationsHandler,
});
