import {
  KEY_VAULT_SECRET_NAME_PATTERN,
  UNIQUE_NAME_PATTERN,
  applicationUniqueName,
  credentialMarker,
  deriveRequestId,
  keyVaultSecretName,
  managedTags,
  requestIdFromCredentialMarker,
  userImpersonationScopeId,
  uuidV5,
} from '../../../src/shared/domain/naming';
import { DomainInvariantError } from '../../../src/shared/domain/errors';
import { REQUEST_ID, SCOPE_ID, TICKET_ID } from './fixtures';

describe('naming', () => {
  it('implements RFC 9562 UUID v5 (Python: uuid5(NAMESPACE_DNS, "python.org"))', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('derives the request id from the ticket, deterministically', () => {
    expect(deriveRequestId(TICKET_ID)).toBe(REQUEST_ID);
    expect(deriveRequestId('CHG0031338')).not.toBe(REQUEST_ID);
  });

  it('derives a stable user_impersonation scope id from the request id', () => {
    expect(userImpersonationScopeId(REQUEST_ID)).toBe(SCOPE_ID);
    expect(userImpersonationScopeId(REQUEST_ID.toUpperCase())).toBe(SCOPE_ID);
    expect(userImpersonationScopeId(deriveRequestId('other'))).not.toBe(SCOPE_ID);
  });

  it('derives uniqueNames per role within Graph-safe characters', () => {
    const server = applicationUniqueName(REQUEST_ID, 'server');
    const client = applicationUniqueName(REQUEST_ID, 'client');
    expect(server).toBe(`cmep-server-${REQUEST_ID}`);
    expect(client).toBe(`cmep-client-${REQUEST_ID}`);
    expect(server).toMatch(UNIQUE_NAME_PATTERN);
    expect(client).toMatch(UNIQUE_NAME_PATTERN);
  });

  it('derives a Key Vault secret name of 1–127 letters, digits and dashes', () => {
    const name = keyVaultSecretName(REQUEST_ID);
    expect(name).toBe(`cm-server-app-secret-${REQUEST_ID}`);
    expect(name).toMatch(KEY_VAULT_SECRET_NAME_PATTERN);
    expect(KEY_VAULT_SECRET_NAME_PATTERN.test('a'.repeat(128))).toBe(false);
    expect(KEY_VAULT_SECRET_NAME_PATTERN.test('a_b')).toBe(false);
  });

  it('marks credentials with the request id and recognises the marker', () => {
    const marker = credentialMarker(REQUEST_ID);
    expect(marker).toBe(`cm-entra-provisioner:${REQUEST_ID}`);
    expect(requestIdFromCredentialMarker(marker)).toBe(REQUEST_ID);
    expect(requestIdFromCredentialMarker('my secret')).toBeUndefined();
    expect(requestIdFromCredentialMarker('cm-entra-provisioner:not-a-guid')).toBeUndefined();
    expect(requestIdFromCredentialMarker(null)).toBeUndefined();
  });

  it('tags managed objects with the service, the request and the role', () => {
    expect(managedTags(REQUEST_ID, 'server')).toEqual([
      'cm-entra-provisioner',
      `cm-entra-provisioner:request:${REQUEST_ID}`,
      'cm-entra-provisioner:role:server',
    ]);
  });

  it('refuses a request id that is not a GUID', () => {
    expect(() => applicationUniqueName("x'); DROP", 'server')).toThrow(DomainInvariantError);
    expect(() => keyVaultSecretName('')).toThrow(/GUID/);
  });
});
