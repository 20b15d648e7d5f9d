import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { HttpRequestError, problemResponse } from '../shared/http/problem';

/**
 * Every route or method no other function serves: 404 as problem+json (a catch-all has the lowest route
 * precedence, so it never shadows a real endpoint). Anonymous: it reveals nothing and touches nothing.
 */
export function notFoundHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let path = '/';
  try {
    path = new URL(request.url).pathname;
  } catch {
    // keep '/'
  }
  return Promise.resolve(
    problemResponse(
      new HttpRequestError(404, 'ROUTE_NOT_FOUND', 'Not found', `No endpoint serves ${request.method} ${path}.`),
      context,
      path,
    ),
  );
}

app.http('notFound', {
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  authLevel: 'anonymous',
  route: '{*path}',
  handler: notFoundHandler,
});
