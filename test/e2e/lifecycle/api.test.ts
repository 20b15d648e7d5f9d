import { eventually, RunningStack, startStack } from '../../support/stack';

/**
 * The secret lifecycle endpoints and the renewal timer, through `npm start`'s local Functions host: routes, roles
 * (Read for GET /api/secrets, Admin for renew/confirm/reconcile/decommission), problem+json, the timer's
 * %RENEWAL_SCHEDULE% binding.
 */

type Json = Record<string, any>;

let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  expect(await stack?.stop()).toBe(0);
});

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

it('lists, renews, confirms, reconciles and decommissions a registration; the sweep timer runs', async () => {
  const tenantId = stack.info.tenants[0]!.tenantId;
  const ticketId = `CHG-LIFE-${Date.now()}`;
  const submitted = await stack.api(
    '/registrations',
    json({
      ticketId,
      requestedBy: 'itsm@contoso.com',
      service: 'CloudManagement',
      action: 'create',
      tenantId,
      tenantName: 'contoso.onmicrosoft.com',
      cloud: 'AzurePublicCloud',
      serverApp: { displayName: `CMG-${ticketId}`, appIdUri: `api://${tenantId}/${ticketId}`, secretValidityYears: 1 },
      clientApp: { displayName: `CMG-Client-${ticketId}` },
    }),
  );
  expect(submitted.status).toBe(202);
  const id = (submitted.json as Json).id as string;
  await eventually(
    async () => ((await stack.api(`/registrations/${id}`)).json as Json).status === 'Succeeded' || undefined,
    60_000,
    'the registration to succeed',
  );

  const listed = await stack.api('/secrets?dueWithinDays=400', { as: 'itsm' });
  expect(listed.status).toBe(200);
  expect((listed.json as Json).items.find((s: Json) => s.registrationId === id)).toMatchObject({ state: 'valid' });
  expect((await stack.api('/secrets', { as: 'noRole' })).status).toBe(403);
  expect((await stack.api('/secrets?dueWithinDays=x')).status).toBe(400);

  expect((await stack.api(`/registrations/${id}/secret/renew`, { method: 'POST', as: 'itsm' })).status).toBe(403);
  const renewed = await stack.api(`/registrations/${id}/secret/renew`, { method: 'POST' });
  expect(renewed.status).toBe(200);
  expect(renewed.json).toMatchObject({ renewed: true, secret: { state: 'renewed-awaiting-confirmation' } });
  const again = await stack.api(`/registrations/${id}/secret/renew`, { method: 'POST' });
  expect(again.status).toBe(409);
  expect(again.headers.get('content-type')).toBe('application/problem+json');
  expect((again.json as Json).code).toBe('RENEWAL_AWAITING_CONFIRMATION');

  const confirmed = await stack.api(`/registrations/${id}/secret/confirm`, { method: 'POST' });
  expect(confirmed.status).toBe(200);
  expect((confirmed.json as Json).secret.state).toBe('valid');
  expect((confirmed.json as Json).secret.previous).toBeUndefined();

  const dry = await stack.api(`/registrations/${id}/reconcile`, json({ dryRun: true }));
  expect(dry.status).toBe(200);
  expect(dry.json).toMatchObject({ dryRun: true, drift: [], repaired: [] });

  const origin = new URL(stack.info.functions.api).origin;
  const fired = await fetch(`${origin}/admin/functions/secretRenewalSweep`, json({ input: '' }));
  await fired.body?.cancel();
  expect(fired.status).toBeLessThan(300);
  await eventually(
    () => Promise.resolve(/secret renewal sweep: up to \d{8}/.test(stack.output()) || undefined),
    30_000,
    'the sweep to run',
  );

  const unconfirmed = await stack.api(`/registrations/${id}`, { ...json({}), method: 'DELETE' });
  expect(unconfirmed.status).toBe(400);
  expect((unconfirmed.json as Json).code).toBe('DECOMMISSION_NOT_CONFIRMED');
  const deleted = await stack.api(`/registrations/${id}`, { ...json({ confirm: ticketId }), method: 'DELETE' });
  expect(deleted.status).toBe(200);
  expect((deleted.json as Json).decommission.completedAt).toBeDefined();
  const twice = await stack.api(`/registrations/${id}`, { ...json({ confirm: ticketId }), method: 'DELETE' });
  expect(twice.status).toBe(200);
  expect(((await stack.api(`/registrations/${id}`)).json as Json).decommission.completedAt).toBeDefined();
}, 180_000);
