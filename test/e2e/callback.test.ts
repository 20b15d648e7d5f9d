import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { createHmac } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ensureDevCertificates } from '../../dev/certs';
import { eventually, RunningStack, startStack } from '../support/stack';

/**
 * With a callbackUrl, the final status is POSTed there when the request ends: signed with HMAC-SHA256 over
 * "{timestamp}.{body}" (key in Key Vault), retried until the receiver accepts it, never carrying a secret.
 */

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  answered: number;
}

let stack: RunningStack;
let receiver: https.Server;
let receiverUrl: string;
const received: Received[] = [];
/** Statuses the receiver answers with, in order; then 204. */
const answers: number[] = [];

beforeAll(async () => {
  const certs = await ensureDevCertificates();
  receiver = https.createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answers.shift() ?? 204;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: status });
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/cmg`;
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
  expect(await stack?.stop()).toBe(0);
});

function ticket(ticketId: string, appIdUri?: string) {
  const tenantId = stack.info.tenants[0]!.tenantId;
  return {
    ticketId,
    requestedBy: 'itsm@contoso.com',
    service: 'CloudManagement',
    action: 'create',
    tenantId,
    tenantName: 'contoso.onmicrosoft.com',
    cloud: 'AzurePublicCloud',
    serverApp: { displayName: `CMG-${ticketId}`, appIdUri: appIdUri ?? `api://${tenantId}/${ticketId}` },
    clientApp: { displayName: `CMG-Client-${ticketId}` },
    callbackUrl: receiverUrl,
  };
}

async function vaultValue(name: string): Promise<string> {
  const p = stack.info.provisioner;
  const kv = new SecretClient(
    stack.info.emulators.keyVault,
    new ClientSecretCredential(p.homeTenantId, p.clientId, p.clientSecret, {
      authorityHost: stack.info.emulators.entra,
      disableInstanceDiscovery: true,
    }),
    { disableChallengeResourceVerification: true },
  );
  return (await kv.getSecret(name)).value!;
}

it('POSTs the final status, signed, retrying until the receiver accepts, without the secret', async () => {
  answers.push(503); // the first delivery is refused: the queue must retry it
  const res = await stack.api('/registrations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ticket('CHG-CALLBACK-OK')),
  });
  expect(res.status).toBe(202);
  const id = (res.json as { id: string }).id;

  const delivered = await eventually(
    () => Promise.resolve(received.find((r) => r.answered === 204 && r.body.includes(id))),
    60_000,
    'the callback to be accepted',
  );
  expect(received.filter((r) => r.body.includes(id)).map((r) => r.answered)).toEqual([503, 204]);

  const body = JSON.parse(delivered.body) as { event: string; registration: Record<string, any> };
  expect(body.event).toBe('registration.succeeded');
  expect(body.registration.id).toBe(id);
  expect(body.registration.status).toBe('Succeeded');
  expect(body.registration.outputs.ccmsetup.AADTENANTID).toBe(stack.info.tenants[0]!.tenantId);
  expect(delivered.headers['x-cm-provisioner-delivery']).toBe(`${id}:Succeeded`);

  const key = Buffer.from(await vaultValue('callback-signing-key'), 'base64');
  const timestamp = String(delivered.headers['x-cm-provisioner-timestamp']);
  const expected = `sha256=${createHmac('sha256', key).update(`${timestamp}.${delivered.body}`).digest('hex')}`;
  expect(delivered.headers['x-cm-provisioner-signature']).toBe(expected);
  expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(600);

  const secretId = body.registration.secret.keyVaultSecretId as string;
  const secretValue = await vaultValue(/\/secrets\/([^/]+)\//.exec(secretId)![1]!);
  expect(delivered.body.includes(secretValue)).toBe(false);
}, 90_000);

it('POSTs registration.failed with the reason when the request fails', async () => {
  const res = await stack.api('/registrations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ticket('CHG-CALLBACK-FAIL', 'https://not-verified.example.net/cmg')),
  });
  const id = (res.json as { id: string }).id;
  const delivered = await eventually(
    () => Promise.resolve(received.find((r) => r.body.includes(id))),
    60_000,
    'the failure callback',
  );
  const body = JSON.parse(delivered.body) as { event: string; registration: Record<string, any> };
  expect(body.event).toBe('registration.failed');
  expect(body.registration.failure[0].step).toBe('serverApp');
  expect(body.registration.failure[0].error.message).toMatch(/HostNameNotOnVerifiedDomain/);
}, 90_000);
