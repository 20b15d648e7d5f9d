import { TableClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import fc from 'fast-check';
import { RunningStack, startStack } from '../../support/stack';

/**
 * Property-based fuzzing of every endpoint against the real local host: more than 10,000 generated malformed
 * bodies, content types, headers, routes, methods, ids and queries. Properties: never a 5xx; every error is
 * application/problem+json; nothing is ever written (no registration, ticket or audit row, no queue message);
 * oversized bodies are refused before they are parsed (declared or chunked). Seeded: a failure replays.
 */

type Json = Record<string, any>;
type Caller = 'itsm' | 'admin' | 'noRole' | 'none';
let stack: RunningStack;
let tenantId: string;
let total = 0;
const SEED = 20261122;

beforeAll(async () => {
  stack = await startStack();
  tenantId = stack.info.tenants[0]!.tenantId;
  // Warm the token cache so the fuzz loop measures the API, not the Entra emulator.
  await Promise.all((['itsm', 'admin', 'noRole'] as const).map((c) => stack.token(c)));
}, 90_000);
afterAll(async () => {
  await stack?.stop();
  console.log(`fuzz: ${total} generated requests`);
});

async function writes(): Promise<Record<string, number>> {
  const cs = stack.info.azurite.connectionString;
  const counts: Record<string, number> = {};
  for (const table of ['registrations', 'registrationtickets', 'registrationaudit', 'secretexpiry']) {
    let n = 0;
    try {
      for await (const _ of TableClient.fromConnectionString(cs, table, {
        allowInsecureConnection: true,
      }).listEntities())
        n++;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
    counts[`table:${table}`] = n;
  }
  const queues = QueueServiceClient.fromConnectionString(cs);
  for await (const q of queues.listQueues()) {
    const props = await queues.getQueueClient(q.name).getProperties();
    counts[`queue:${q.name}`] = props.approximateMessagesCount ?? 0;
  }
  return counts;
}

const everythingZero = (c: Record<string, number>) => Object.entries(c).filter(([, n]) => n !== 0);

interface Call {
  method: string;
  path: string;
  as: Caller;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Sends one generated call and checks the per-response properties. Returns the status. */
async function send(call: Call, allowed2xx = false): Promise<number> {
  total++;
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  const res = await stack.api(call.path, {
    method: call.method,
    as: call.as,
    headers,
    ...(call.body !== undefined && call.method !== 'GET' && call.method !== 'HEAD' ? { body: call.body } : {}),
  });
  const what = `${call.method} ${call.path} as ${call.as} -> ${res.status} ${res.text.slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`5xx: ${what}`);
  // fetch normalises dot segments: a path that leaves /api is not the app's (the platform answers it)
  const inApp = new URL(`${stack.info.functions.api}${call.path}`).pathname.startsWith('/api/');
  if (res.status >= 400 && call.method !== 'HEAD' && inApp) {
    if (res.headers.get('content-type') !== 'application/problem+json') throw new Error(`not problem+json: ${what}`);
    const p = res.json as Json;
    if (p?.status !== res.status || typeof p?.code !== 'string') throw new Error(`bad problem: ${what}`);
  }
  if (res.status < 300 && !allowed2xx) throw new Error(`accepted a malformed call: ${what}`);
  return res.status;
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

const printable = fc.string({
  unit: fc.constantFrom(...' !#$%&*+-.^_|~0123456789abcdefXYZ/=:;,"\'()[]{}<>?@\\'.split('')),
  maxLength: 60,
});
const ANY_TEXT = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), printable);
const validTicket = (ticketId: string): Json => ({
  ticketId,
  requestedBy: 'jane.admin@contoso.com',
  service: 'CloudManagement',
  action: 'create',
  tenantId,
  tenantName: 'contoso.onmicrosoft.com',
  cloud: 'AzurePublicCloud',
  serverApp: { displayName: 'CMG-Fuzz', appIdUri: `api://${tenantId}/CMG-Fuzz`, secretValidityYears: 1 },
  clientApp: { displayName: 'CMG-Fuzz-Client' },
});
const FIELDS = [
  'ticketId',
  'requestedBy',
  'service',
  'action',
  'tenantId',
  'tenantName',
  'cloud',
  'serverApp',
  'clientApp',
];
const NESTED = [
  'serverApp.displayName',
  'serverApp.appIdUri',
  'serverApp.secretValidityYears',
  'clientApp.displayName',
];
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
  fc.double(),
);

/** One mutation that always makes the ticket invalid (or refused by policy). */
const breaking = fc.oneof(
  fc.constantFrom(...FIELDS).map((f) => (t: Json) => void delete t[f]),
  fc.tuple(fc.constantFrom(...FIELDS, ...NESTED), wrongType).map(
    ([f, v]) =>
      (t: Json) =>
        setPath(t, f, v),
  ),
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue()).map(
    ([k, v]) =>
      (t: Json) =>
        void (t[`x-${k}`] = v),
  ),
  fc
    .constantFrom('ticketId', 'requestedBy', 'serverApp.displayName', 'clientApp.displayName')
    .map((f) => (t: Json) => setPath(t, f, 'x'.repeat(300))),
  fc.string({ maxLength: 40 }).map((s) => (t: Json) => void (t.tenantId = `not-a-guid-${s}`)),
  fc.uuid().map((u) => (t: Json) => {
    // a well-formed request for a tenant outside the allowlist
    t.tenantId = u;
    setPath(t, 'serverApp.appIdUri', `api://${u}/CMG-Fuzz`);
  }),
  fc
    .constantFrom('https://ConfigMgrService', 'api://00000000-0000-0000-0000-000000000000/x', 'ftp://x/y', '')
    .map((uri) => (t: Json) => setPath(t, 'serverApp.appIdUri', uri)),
  fc.string({ maxLength: 10 }).map((s) => (t: Json) => void (t.ticketId = `bad\u0001${s}`)),
);
/** Further random changes on top (these alone might keep it valid). */
const noise = fc.tuple(fc.constantFrom(...FIELDS, ...NESTED), fc.oneof(fc.jsonValue(), ANY_TEXT)).map(
  ([f, v]) =>
    (t: Json) =>
      setPath(t, f, v),
);

function setPath(t: Json, path: string, v: unknown): void {
  const [a, b] = path.split('.') as [string, string | undefined];
  if (b === undefined) t[a] = v;
  else if (t[a] && typeof t[a] === 'object' && !Array.isArray(t[a])) t[a][b] = v;
  else t[a] = { [b]: v };
}

const ID = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 50 }),
  printable,
  fc.constantFrom('..', '%2e%2e', '%00', "'", "' or 1 eq 1", 'a'.repeat(300), '00000000-0000-0000-0000-000000000000'),
);
const enc = (s: string) => encodeURIComponent(s);
const ROUTES = [
  ['POST', '/registrations'],
  ['GET', '/registrations'],
  ['GET', '/registrations/{id}'],
  ['DELETE', '/registrations/{id}'],
  ['GET', '/registrations/{id}/audit'],
  ['POST', '/registrations/{id}/retry'],
  ['POST', '/registrations/{id}/reconcile'],
  ['POST', '/registrations/{id}/secret/renew'],
  ['POST', '/registrations/{id}/secret/confirm'],
  ['GET', '/secrets'],
] as const;
const CONTENT_TYPES = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/problem+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    'APPLICATION/JSON',
    '',
    'application/xml',
  ),
  printable,
);

// ---------------------------------------------------------------------------------------------------------------

const RUNS = { submit: 3000, raw: 1500, headers: 1500, routes: 1500, ids: 1500, queries: 1000 };

describe('fuzzing (no 5xx, problem+json, no write)', () => {
  afterEach(async () => {
    expect(everythingZero(await writes())).toEqual([]);
  });

  it('malformed registration bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 20 }),
        breaking,
        fc.array(noise, { maxLength: 3 }),
        fc.constantFrom<Caller>('itsm', 'admin'),
        async (ticketId, brk, extra, as) => {
          const t = validTicket(`FUZZ-${ticketId}`);
          for (const n of extra) n(t);
          brk(t);
          await send({
            method: 'POST',
            path: '/registrations',
            as,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(t),
          });
        },
      ),
      { numRuns: RUNS.submit, seed: SEED },
    );
  }, 180_000);

  it('arbitrary bytes, JSON and content types on every body-taking endpoint', async () => {
    const bodyRoutes = ROUTES.filter(([m]) => m !== 'GET');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes),
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          ANY_TEXT,
          fc.uint8Array({ maxLength: 300 }),
          fc.constantFrom(
            '',
            '{',
            '[]',
            'null',
            '{"a":',
            '\u0000',
            '{"__proto__":{"x":1}}',
            '{"constructor":{"prototype":{}}}',
          ),
        ),
        CONTENT_TYPES,
        fc.uuid(),
        async ([method, route], body, type, id) => {
          // a valid ticket with a JSON content type is the one thing that may be accepted: never send it
          await send({ method, path: route.replace('{id}', id), as: 'admin', headers: { 'content-type': type }, body });
        },
      ),
      { numRuns: RUNS.raw, seed: SEED + 1 },
    );
  }, 180_000);

  it('forged, malformed and missing identities on every endpoint', async () => {
    const principal = fc
      .record({
        auth_typ: fc.string(),
        claims: fc.array(fc.record({ typ: fc.constantFrom('oid', 'tid', 'roles', 'appid'), val: fc.string() }), {
          maxLength: 5,
        }),
      })
      .map((p) => Buffer.from(JSON.stringify(p)).toString('base64'));
    const authorization = fc.oneof(
      printable,
      printable.map((s) => `Bearer ${s}`),
      fc
        .tuple(
          fc.base64String({ maxLength: 40 }),
          fc.base64String({ maxLength: 200 }),
          fc.base64String({ maxLength: 60 }),
        )
        .map(([a, b, c]) => `Bearer ${a}.${b}.${c}`.replace(/[+/=]/g, 'A')),
      fc.constant('Basic YWRtaW46YWRtaW4='),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.option(authorization, { nil: undefined }),
        fc.option(principal, { nil: undefined }),
        fc.dictionary(fc.stringMatching(/^x-[a-z]{1,10}$/), printable, { maxKeys: 3 }),
        fc.uuid(),
        async ([method, route], auth, p, extra, id) => {
          const headers: Record<string, string> = { ...extra, 'content-type': 'application/json' };
          if (auth !== undefined) headers.authorization = auth;
          if (p !== undefined) headers['x-ms-client-principal'] = p;
          const status = await send({
            method,
            path: route.replace('{id}', id),
            as: 'none',
            headers,
            body: JSON.stringify(validTicket('FUZZ-NOAUTH')),
          });
          expect(status).toBe(401);
        },
      ),
      { numRuns: RUNS.headers, seed: SEED + 2 },
    );
  }, 180_000);

  it('random routes and methods', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'registrations',
        'secrets',
        'audit',
        'retry',
        'secret',
        'renew',
        'confirm',
        'reconcile',
        'admin',
        'health',
        '..',
        '',
      ),
      ID.map(enc),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.constantFrom<Caller>('admin', 'itsm', 'noRole', 'none'),
        async (method, segments, as) => {
          const path = `/${segments.join('/')}`;
          // decide on the path as the server sees it (fetch resolves dot segments)
          const norm = new URL(`${stack.info.functions.api}${path}`).pathname.replace(/^\/api(?=\/)/, '');
          // the two anonymous read endpoints answer 200; everything else must refuse
          const anonymousRead = method === 'GET' && /^\/(health|openapi\.json)\/?$/.test(norm);
          const listRead =
            method === 'GET' && /^\/(registrations|secrets)\/?$/.test(norm) && (as === 'admin' || as === 'itsm');
          await send(
            { method, path, as, headers: { 'content-type': 'application/json' }, body: '{}' },
            anonymousRead || listRead,
          );
        },
      ),
      { numRuns: RUNS.routes, seed: SEED + 3 },
    );
  }, 180_000);

  it('random ids on every {id} endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES.filter(([, r]) => r.includes('{id}'))),
        // an empty, '.' or '..' id is another route after URL normalisation (the list), not an id
        ID.filter((id) => !['', '.', '..'].includes(id)),
        fc.constantFrom<Caller>('admin', 'itsm', 'noRole'),
        async ([method, route], id, as) => {
          await send({
            method,
            path: route.replace('{id}', enc(id)),
            as,
            headers: { 'content-type': 'application/json' },
            body: '{"confirm":"x","reason":"fuzz"}',
          });
        },
      ),
      { numRuns: RUNS.ids, seed: SEED + 4 },
    );
  }, 180_000);

  it('random list queries', async () => {
    const param = fc.tuple(
      fc.constantFrom('status', 'tenantId', 'ticketId', 'top', 'continuationToken', 'expiresBefore', 'x'),
      fc.oneof(ANY_TEXT, fc.integer().map(String), fc.uuid()),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/registrations', '/secrets'),
        fc.array(param, { maxLength: 4 }),
        async (route, params) => {
          const q = new URLSearchParams(params).toString();
          await send({ method: 'GET', path: `${route}?${q}`, as: 'admin' }, true);
        },
      ),
      { numRuns: RUNS.queries, seed: SEED + 5 },
    );
  }, 180_000);
});

describe('oversized bodies are refused before parsing', () => {
  afterEach(async () => {
    expect(everythingZero(await writes())).toEqual([]);
  });

  it('by Content-Length', async () => {
    const big = JSON.stringify({ ...validTicket('FUZZ-BIG'), pad: 'x'.repeat(70 * 1024) });
    const res = await stack.api('/registrations', {
      as: 'itsm',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect({ status: res.status, code: (res.json as Json).code, type: res.headers.get('content-type') }).toEqual({
      status: 413,
      code: 'BODY_TOO_LARGE',
      type: 'application/problem+json',
    });
  });

  it('chunked, with no Content-Length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 8) return controller.close();
        sent++;
        controller.enqueue(sent === 1 ? new TextEncoder().encode('{"pad":"') : chunk);
      },
    });
    const res = await stack.api('/registrations', {
      as: 'itsm',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect({ status: res.status, code: (res.json as Json).code }).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
  });
});

it('sent more than 10,000 generated calls in all', () => {
  expect(total).toBeGreaterThanOrEqual(10_000);
});
