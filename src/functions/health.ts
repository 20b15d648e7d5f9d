import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { checkHealth } from '../shared/health/checkHealth';

/** GET /api/health — reachability of every dependency; 200 when all configured ones answer, else 503. */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const report = await checkHealth(getServices().healthProbes);
  return {
    status: report.status === 'healthy' ? 200 : 503,
    headers: { 'cache-control': 'no-store' },
    jsonBody: report,
  };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
