import {
  checkAppIdUriDomain,
  checkAppIdUriTenant,
  checkTenantNameDomain,
  isLegacyAppIdUri,
  parseAppIdUri,
} from '../../../src/shared/domain/appIdUri';
import { TENANT_ID } from './fixtures';

describe('App ID URI forms (seeds 000/001/002)', () => {
  it('accepts the seed example api://{tenantId}/{string}', () => {
    expect(parseAppIdUri('api://5e97358c-d99c-4558-af0c-de7774091dda/ConfigMgrService')).toEqual({
      ok: true,
      form: 'api',
      tenantId: TENANT_ID,
      path: 'ConfigMgrService',
    });
  });

  it('accepts the seed example https://{verifiedCustomerDomain}/{string}', () => {
    expect(parseAppIdUri('https://contoso.onmicrosoft.com/ConfigMgrService')).toEqual({
      ok: true,
      form: 'https',
      host: 'contoso.onmicrosoft.com',
      path: 'ConfigMgrService',
    });
  });

  it.each([
    'https://ConfigMgrService',
    'https://configmgrservice',
    'https://ConfigMgrService/',
    ' HTTPS://CONFIGMGRSERVICE ',
  ])('refuses the legacy default %j with its own code and a clear message', (uri) => {
    const r = parseAppIdUri(uri);
    expect(r).toMatchObject({ ok: false, code: 'APP_ID_URI_LEGACY_DEFAULT' });
    expect(isLegacyAppIdUri(uri)).toBe(true);
    if (!r.ok) {
      expect(r.message).toContain('https://ConfigMgrService');
      expect(r.message).toContain('api://{tenantId}/{string}');
      expect(r.message).toContain('verified domain');
    }
  });

  it.each([
    ['no string after the tenant', `api://${TENANT_ID}`],
    ['trailing slash only', `api://${TENANT_ID}/`],
    ['api:// with an appId-only form', 'api://7078946d-fc1c-43b7-8dee-dd6e6b00d783'],
    ['api:// with a name instead of a GUID', 'api://contoso/ConfigMgrService'],
    ['http scheme', 'http://contoso.onmicrosoft.com/ConfigMgrService'],
    ['host without a dot', 'https://contososerver/ConfigMgrService'],
    ['https without a path', 'https://contoso.onmicrosoft.com'],
    ['wildcard', 'https://contoso.onmicrosoft.com/*'],
    ['query string', 'https://contoso.onmicrosoft.com/app?x=1'],
    ['fragment', `api://${TENANT_ID}/app#x`],
    ['port', 'https://contoso.onmicrosoft.com:443/app'],
    ['whitespace', `api://${TENANT_ID}/Config Mgr`],
    ['urn', 'urn:contoso:cmg'],
    ['empty segment', `api://${TENANT_ID}/a//b`],
  ])('refuses %s', (_what, uri) => {
    expect(parseAppIdUri(uri)).toMatchObject({ ok: false, code: 'APP_ID_URI_FORMAT' });
  });

  it('binds the api:// form to the request tenant', () => {
    expect(checkAppIdUriTenant(`api://${TENANT_ID.toUpperCase()}/ConfigMgrService`, TENANT_ID)).toBeUndefined();
    const e = checkAppIdUriTenant('api://0b0b0b0b-0000-4000-8000-000000000000/ConfigMgrService', TENANT_ID);
    expect(e).toMatchObject({ field: '/serverApp/appIdUri', code: 'APP_ID_URI_TENANT_MISMATCH' });
    expect(e?.message).toContain(`api://${TENANT_ID}/ConfigMgrService`);
    expect(checkAppIdUriTenant('https://contoso.onmicrosoft.com/ConfigMgrService', TENANT_ID)).toBeUndefined();
  });

  it('decides domain ownership of the https:// form from the verified domains', () => {
    const domains = [
      { id: 'contoso.onmicrosoft.com', isVerified: true },
      { id: 'contoso.com', isVerified: true },
      { id: 'pending.contoso.net', isVerified: false },
    ];
    expect(checkAppIdUriDomain('https://Contoso.com/ConfigMgrService', domains)).toBeUndefined();
    expect(checkAppIdUriDomain('https://pending.contoso.net/ConfigMgrService', domains)).toMatchObject({
      code: 'APP_ID_URI_DOMAIN_NOT_VERIFIED',
      field: '/serverApp/appIdUri',
    });
    expect(checkAppIdUriDomain('https://fabrikam.com/ConfigMgrService', domains)?.message).toContain(
      'contoso.onmicrosoft.com, contoso.com',
    );
    // seed: https://{verifiedCustomerDomain}/{string}: the host itself must be verified, not a parent of it
    expect(checkAppIdUriDomain('https://cmg.contoso.com/ConfigMgrService', domains)?.code).toBe(
      'APP_ID_URI_DOMAIN_NOT_VERIFIED',
    );
    expect(checkAppIdUriDomain(`api://${TENANT_ID}/ConfigMgrService`, [])).toBeUndefined();
  });

  it('checks the tenant name against the verified domains', () => {
    const domains = [{ id: 'contoso.onmicrosoft.com', isVerified: true }];
    expect(checkTenantNameDomain('contoso.onmicrosoft.com', domains)).toBeUndefined();
    expect(checkTenantNameDomain('fabrikam.onmicrosoft.com', domains)?.code).toBe('TENANT_NAME_NOT_A_VERIFIED_DOMAIN');
  });
});
