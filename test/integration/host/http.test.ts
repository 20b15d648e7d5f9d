import { FixtureApp, makeFixtureApp, RunningHost, startHost } from '../../support/localHost';

describe('local host: HTTP triggers', () => {
  let app: FixtureApp;
  let host: RunningHost;

  beforeAll(async () => {
    app = makeFixtureApp({
      host: { EnforceAuthKeys: true, MasterKey: 'master-test-key', FunctionKeys: { secure: { default: 'fn-key' } } },
    });
    host = await startHost(app.dir);
  });

  afterAll(async () => {
    await host?.stop();
    app?.remove();
  });

  it('delivers route parameters and query to the handler (registrations/{id})', async () => {
    const res = await fetch(`${host.url}/api/registrations/abc-123?q=hello`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: 'abc-123',
      q: 'hello',
      method: 'GET',
      url: `${host.url}/api/registrations/abc-123?q=hello`,
    });
  });

  it('matches route literals case-insensitively', async () => {
    const res = await fetch(`${host.url}/API/Registrations/x`);
    expect(res.status).toBe(200);
  });

  it('applies the {id:guid} constraint', async () => {
    const guid = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
    const ok = await fetch(`${host.url}/api/things/${guid}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: guid });
    expect((await fetch(`${host.url}/api/things/not-a-guid`)).status).toBe(404);
  });

  it('supports optional parameters', async () => {
    expect(await (await fetch(`${host.url}/api/optional/anna`)).json()).toEqual({ name: 'anna' });
    expect(await (await fetch(`${host.url}/api/optional`)).json()).toEqual({ name: null });
  });

  it('answers 404 for unknown routes, a missing prefix and a method the function does not accept', async () => {
    expect((await fetch(`${host.url}/api/nope`)).status).toBe(404);
    expect((await fetch(`${host.url}/registrations/abc`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/registrations/abc`, { method: 'DELETE' })).status).toBe(404);
  });

  it('passes body and headers in, and status, headers, cookies and body out', async () => {
    const res = await fetch(`${host.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'payload-1',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo-content-type')).toBe('text/plain');
    expect(res.headers.get('set-cookie')).toBe('session=abc; HttpOnly; SameSite=Strict');
    expect(await res.text()).toBe('payload-1');
  });

  it('refuses a function-level route without a key when keys are enforced', async () => {
    expect((await fetch(`${host.url}/api/secure`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/secure`, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
  });

  it('accepts the function key in x-functions-key or ?code=, and the master key', async () => {
    expect((await fetch(`${host.url}/api/secure`, { headers: { 'x-functions-key': 'fn-key' } })).status).toBe(200);
    expect((await fetch(`${host.url}/api/secure?code=fn-key`)).status).toBe(200);
    expect((await fetch(`${host.url}/api/secure?code=master-test-key`)).status).toBe(200);
  });

  it('accepts only the master key for admin-level functions', async () => {
    expect((await fetch(`${host.url}/api/adminOnly?code=fn-key`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/adminOnly?code=master-test-key`)).status).toBe(200);
  });

  it('answers 500 without details when the handler throws, and logs the error', async () => {
    const res = await fetch(`${host.url}/api/boom`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('');
    expect(host.output()).toContain('handler failed on purpose');
  });

  it('answers 204 when the handler returns nothing', async () => {
    expect((await fetch(`${host.url}/api/nothing`)).status).toBe(204);
  });
});

describe('local host: keys not enforced (Core Tools default)', () => {
  let app: FixtureApp;
  let host: RunningHost;

  beforeAll(async () => {
    app = makeFixtureApp({ hostJson: (h) => ({ ...h, extensions: { http: { routePrefix: 'v2' } } }) });
    host = await startHost(app.dir);
  });

  afterAll(async () => {
    await host?.stop();
    app?.remove();
  });

  it('lets a function-level route through without a key', async () => {
    expect((await fetch(`${host.url}/v2/secure`)).status).toBe(200);
  });

  it('uses extensions.http.routePrefix from host.json', async () => {
    expect((await fetch(`${host.url}/v2/registrations/x`)).status).toBe(200);
    expect((await fetch(`${host.url}/api/registrations/x`)).status).toBe(404);
  });
});
