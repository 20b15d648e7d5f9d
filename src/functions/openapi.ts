import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { apiBase } from '../shared/http/body';
import { openApiDocument } from '../shared/http/openapi';

/** GET /api/openapi.json */
export function openapiHandler(request: HttpRequest): Promise<HttpResponseInit> {
  return Promise.resolve({ jsonBody: openApiDocument(apiBase(request)) });
}

app.http('openapi', { methods: ['GET'], authLevel: 'anonymous', route: 'openapi.json', handler: openapiHandler });
