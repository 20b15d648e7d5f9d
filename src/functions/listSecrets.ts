import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { apiHandler } from '../shared/http/api';
import { apiBase } from '../shared/http/body';
import { HttpRequestError } from '../shared/http/problem';
import { isContinuationToken } from '../shared/provisioning/requests';
import { API_ROLES } from '../shared/security/roles';
import { listSecrets, type SecretsQuery } from '../shared/lifecycle/report';

function parseQuery(q: URLSearchParams): SecretsQuery {
  const raw = q.get('dueWithinDays');
  const due = raw === null ? undefined : Number(raw);
  if (due !== undefined && (!Number.isInteger(due) || due < 0 || due > 3660)) {
    throw new HttpRequestError(
      400,
      'INVALID_QUERY',
      'Invalid query',
      'dueWithinDays must be an integer from 0 to 3660.',
    );
  }
  const top = Number(q.get('top') ?? 100);
  if (!Number.isInteger(top) || top < 1 || top > 1000) {
    throw new HttpRequestError(400, 'INVALID_QUERY', 'Invalid query', 'top must be an integer from 1 to 1000.');
  }
  const token = q.get('continuationToken');
  if (token && !isContinuationToken(token)) {
    throw new HttpRequestError(
      400,
      'INVALID_QUERY',
      'Invalid query',
      'continuationToken is not one this API returned.',
    );
  }
  return {
    pageSize: top,
    ...(due === undefined ? {} : { dueWithinDays: due }),
    ...(token ? { continuationToken: token } : {}),
  };
}

/** GET /api/secrets?dueWithinDays=N — every managed secret (expiring within N days) with its state and what to do. */
export const listSecretsHandler = apiHandler(
  { role: API_ROLES.read },
  async (request: HttpRequest): Promise<HttpResponseInit> => {
    const page = await listSecrets(getServices().lifecycle, parseQuery(request.query));
    let next: string | null = null;
    if (page.continuationToken) {
      const url = new URL(request.url);
      url.searchParams.set('continuationToken', page.continuationToken);
      next = `${apiBase(request)}/secrets${url.search}`;
    }
    return {
      headers: { 'cache-control': 'no-store' },
      jsonBody: { items: page.items, continuationToken: page.continuationToken ?? null, next },
    };
  },
);

app.http('listSecrets', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'secrets',
  handler: listSecretsHandler,
});
