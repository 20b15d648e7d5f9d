/**
 * No secret-looking literal anywhere in infra/ (nor in azure.yaml and the deployment guide): the deployment has no
 * secret to carry, and a template is the wrong place for one. Known public ids (built-in role definitions, Microsoft
 * Graph's appId and permission ids) are allowed by name; any other GUID is flagged.
 */
import { listRepoFiles, readRepoFile } from './bicep';
import { PUBLIC_ID_ALLOWLIST } from './publicIds';
import { findSecretLiterals } from './secretScan';

const SCANNED = [...listRepoFiles('infra'), 'azure.yaml', 'docs/deploy.md'];

// Samples are assembled at run time so that this file does not itself contain secret-looking literals.
const join = (...parts: string[]): string => parts.join('');
const SAMPLES: Record<string, string> = {
  'Entra client secret': `clientSecret: '${join('abc', '8Q~', 'x'.repeat(10), 'Y_z.-', 'k'.repeat(19))}'`,
  'GUID + "~" secret': `value: '${join('6f1d2c3b-1a2b-4c3d-8e9f-0a1b2c3d4e5f', '~', 'AbCdEfGhIjKlMnOpQr')}'`,
  'storage account key': join('DefaultEndpointsProtocol=https;AccountName=x;Account', 'Key=', 'abc=='),
  'account key alone': join('Account', 'Key', '=', 'c2VjcmV0'),
  'SAS token': join('BlobEndpoint=https://x.blob.core.windows.net/;Shared', 'AccessSignature=sv=2022'),
  'SAS query': join('https://x.blob.core.windows.net/c?sv=2022-11-02&s', 'ig=', 'AbCdEf0123456789%2B'),
  'private key': join('-----', 'BEGIN PRIVATE KEY', '-----'),
  certificate: join('-----', 'BEGIN CERTIFICATE', '-----'),
  'JSON web token': join('ey', 'JhbGciOiJIUzI1NiJ9', '.', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', '.sig'),
  'password assignment': join('pass', "word: '", 'Sup3rS3cret!', "'"),
  'secret assignment': join('client_', 'secret = "', 'abcd1234', '"'),
  'key listing': join('value: storage.list', 'Keys().keys[0].value'),
  'instrumentation key': join('Instrumentation', 'Key=', '0123abcd'),
  'tenant id literal': join("tenantId: '", '72f988bf-0000-4000-8000-', '000000000000', "'"),
};

describe('secret scan', () => {
  it.each(Object.entries(SAMPLES))('catches a %s', (_name, sample) => {
    expect(findSecretLiterals(sample)).not.toEqual([]);
  });

  it('does not flag the known public ids, nor Bicep expressions that only name secrets', () => {
    const harmless = [
      ...PUBLIC_ID_ALLOWLIST.map((p) => `'${p.id}' // ${p.name}`),
      ...PUBLIC_ID_ALLOWLIST.map((p) => p.id.toUpperCase()),
      "APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'",
      "description: 'Client secrets and the callback signing key.'",
      'az ad app show --id "$CLIENT_ID" --query id -o tsv',
      '`PROVISIONER_CLIENT_SECRET` is local only',
    ];
    for (const line of harmless) expect({ line, findings: findSecretLiterals(line) }).toEqual({ line, findings: [] });
  });

  it('scans infra/, azure.yaml and the deployment guide', () => {
    expect(SCANNED).toEqual(expect.arrayContaining(['infra/main.bicep', 'infra/scripts/setup-provisioner.sh']));
  });

  it.each(SCANNED)('finds no secret-looking literal in %s', (rel) => {
    expect(findSecretLiterals(readRepoFile(rel))).toEqual([]);
  });

  it('lists every allowed public id by name, and every one is used', () => {
    const infraText = listRepoFiles('infra').map(readRepoFile).join('\n').toLowerCase();
    for (const p of PUBLIC_ID_ALLOWLIST) {
      expect(p.name.length).toBeGreaterThan(0);
      expect({ id: p.id, name: p.name, used: infraText.includes(p.id) }).toEqual({
        id: p.id,
        name: p.name,
        used: true,
      });
    }
  });
});
