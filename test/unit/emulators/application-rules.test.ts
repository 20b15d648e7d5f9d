import { Directory, sampleTenants, type TenantSeed } from '../../../dev/emulators/directory';
import { GraphError } from '../../../dev/emulators/graph/errors';
import { checkApplication, checkIdentifierUri } from '../../../dev/emulators/graph/resources/applicationRules';

const [contoso] = sampleTenants() as [TenantSeed];
const tenant = Directory.fromSeeds([contoso]).resolveTenant(contoso.tenantId)!;
const appId = '11111111-2222-4333-8444-555555555555';

function code(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof GraphError) return err.code;
    throw err;
  }
}

describe('App ID URI policy', () => {
  it.each([
    [`api://${appId}`, undefined],
    [`api://${contoso.tenantId}/cmg-server`, undefined],
    [`api://anything/${appId}`, undefined],
    ['api://contoso.com/cmg', undefined],
    ['https://contoso.com/cmg', undefined],
    ['https://cmg.contoso.com', undefined], // a subdomain of a verified domain
    ['https://contoso.onmicrosoft.com/cmg', undefined],
    ['https://ConfigMgrService', 'HostNameNotOnVerifiedDomain'],
    ['https://contoso.com.evil.net/x', 'HostNameNotOnVerifiedDomain'],
    ['api://cmg-server', 'HostNameNotOnVerifiedDomain'],
    ['urn:cmg', 'HostNameNotOnVerifiedDomain'],
    ['not a uri', 'Request_BadRequest'],
  ])('%s → %s', (uri, expected) => {
    expect(code(() => checkIdentifierUri(uri, tenant, appId))).toBe(expected);
  });
});

describe('application checks', () => {
  const scope = {
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    value: 'user_impersonation',
    type: 'User',
    isEnabled: true,
  };

  it('refuses to change or drop an enabled scope, but allows disabling it first', () => {
    const before = { api: { oauth2PermissionScopes: [scope] } };
    const changed = { api: { oauth2PermissionScopes: [{ ...scope, value: 'other' }] } };
    expect(code(() => checkApplication(tenant, before, changed, changed, 'x'))).toBe(
      'CannotDeleteOrUpdateEnabledEntitlement',
    );
    const dropped = { api: { oauth2PermissionScopes: [] } };
    expect(code(() => checkApplication(tenant, before, dropped, dropped, 'x'))).toBe(
      'CannotDeleteOrUpdateEnabledEntitlement',
    );
    const disabled = { api: { oauth2PermissionScopes: [{ ...scope, isEnabled: false }] } };
    expect(code(() => checkApplication(tenant, before, disabled, disabled, 'x'))).toBeUndefined();
    expect(code(() => checkApplication(tenant, disabled, dropped, dropped, 'x'))).toBeUndefined();
  });

  it('checks redirect URIs by platform and the sign-in audience', () => {
    const web = { web: { redirectUris: ['http://contoso.com/callback'] } };
    expect(code(() => checkApplication(tenant, {}, web, web, 'x'))).toBe('Request_BadRequest');
    const broker = {
      publicClient: { redirectUris: [`ms-appx-web://Microsoft.AAD.BrokerPlugin/${appId}`, 'http://localhost'] },
    };
    expect(code(() => checkApplication(tenant, {}, broker, broker, 'x'))).toBeUndefined();
    const audience = { signInAudience: 'AzureADMyOrgs' };
    expect(code(() => checkApplication(tenant, {}, audience, audience, 'x'))).toBe('Request_BadRequest');
  });
});
