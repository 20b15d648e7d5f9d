import {
  answeredRegistration,
  applyStepEvent,
  createPipeline,
  credentialMarker,
  observedOutput,
  projectApplication,
  OBSERVED_OUTPUT,
  type PipelineState,
  type StepName,
} from '../../../src/shared/domain';

const requestId = '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e';
const at = new Date('2026-11-22T10:00:00Z');

function succeed(state: PipelineState, step: StepName, outputs: Record<string, string>): PipelineState {
  return applyStepEvent(applyStepEvent(state, step, { type: 'started' }, at), step, { type: 'succeeded', outputs }, at);
}

const serverApp = { id: 'server-object', appId: 'server-app', displayName: 'CMG', passwordCredentials: [] };
const clientApp = { id: 'client-object', appId: 'client-app', displayName: 'CMG client' };
const grant = (scope: string) => ({ clientId: 'client-sp', consentType: 'AllPrincipals', resourceId: 'r', scope });

function finished(options: { userDiscovery: boolean; nativeApp: boolean }): PipelineState {
  let s = createPipeline(requestId, { action: 'create', ...options }, at);
  s = succeed(s, 'serverApp', { appId: 'server-app', objectId: 'server-object', ...observedOutput(serverApp) });
  s = succeed(s, 'serverSecret', { keyId: 'key-1', expiresOn: '2028-11-22T10:00:00.000Z' });
  s = succeed(s, 'serverServicePrincipal', { objectId: 'server-sp', ...observedOutput({ id: 'server-sp' }) });
  if (options.userDiscovery) {
    s = succeed(s, 'appRoleConsent', observedOutput({ principalId: 'server-sp', resourceId: 'g', appRoleId: 'x' }));
  }
  if (options.nativeApp) {
    s = succeed(s, 'clientApp', { appId: 'client-app', objectId: 'client-object' });
    s = succeed(s, 'clientRedirect', observedOutput(clientApp));
    s = succeed(s, 'clientServicePrincipal', { objectId: 'client-sp', ...observedOutput({ id: 'client-sp' }) });
    s = succeed(s, 'delegatedGrant', observedOutput(grant('user_impersonation')));
    s = succeed(s, 'clientGraphGrant', observedOutput(grant('User.Read')));
  }
  return s;
}

describe('projectApplication', () => {
  it('keeps what verify compares and drops everything else, a credential hint and secret text included', () => {
    const projected = projectApplication({
      id: 'o',
      appId: 'a',
      displayName: 'CMG',
      web: { homePageUrl: 'https://x', implicitGrantSettings: { enableIdTokenIssuance: false } },
      api: {
        oauth2PermissionScopes: [{ id: 's', value: 'user_impersonation', userConsentDescription: 'u' } as never],
      },
      passwordCredentials: [
        { keyId: 'k', displayName: 'd', endDateTime: 'e', hint: 'abc', secretText: 'never' } as never,
      ],
      notes: 'not compared',
    } as never);
    expect(projected).toEqual({
      id: 'o',
      appId: 'a',
      displayName: 'CMG',
      web: { homePageUrl: 'https://x', implicitGrantSettings: { enableIdTokenIssuance: false } },
      api: { oauth2PermissionScopes: [{ id: 's', value: 'user_impersonation' }] },
      passwordCredentials: [{ keyId: 'k', displayName: 'd', endDateTime: 'e' }],
    });
    expect(JSON.stringify(projected)).not.toMatch(/abc|never|userConsent|notes/);
  });
});

describe('answeredRegistration', () => {
  it('assembles every part from the answers; the server app carries the credential addPassword answered', () => {
    const answered = answeredRegistration(finished({ userDiscovery: true, nativeApp: true }), requestId);
    expect(answered.serverApp?.passwordCredentials).toEqual([
      { keyId: 'key-1', displayName: credentialMarker(requestId), endDateTime: '2028-11-22T10:00:00.000Z' },
    ]);
    expect(answered.clientApp).toEqual(clientApp);
    expect(answered.serverServicePrincipal).toEqual({ id: 'server-sp' });
    expect(answered.clientServicePrincipal).toEqual({ id: 'client-sp' });
    expect(answered.appRoleAssignments).toEqual([{ principalId: 'server-sp', resourceId: 'g', appRoleId: 'x' }]);
    expect(answered.oauth2PermissionGrants).toEqual([grant('user_impersonation'), grant('User.Read')]);
  });

  it('knows the consents of skipped steps are empty', () => {
    const answered = answeredRegistration(finished({ userDiscovery: false, nativeApp: false }), requestId);
    expect(answered.appRoleAssignments).toEqual([]);
    expect(answered.oauth2PermissionGrants).toEqual([]);
    expect(answered.clientApp).toBeUndefined();
  });

  it('leaves out what has no answer, for verify to read: a grant written over an existing one, a bad record', () => {
    let s = finished({ userDiscovery: true, nativeApp: true });
    s = { ...s, steps: { ...s.steps, clientGraphGrant: { ...s.steps.clientGraphGrant, outputs: {} } } };
    s = {
      ...s,
      steps: { ...s.steps, clientRedirect: { ...s.steps.clientRedirect, outputs: { [OBSERVED_OUTPUT]: '{oops' } } },
    };
    const answered = answeredRegistration(s, requestId);
    expect(answered.oauth2PermissionGrants).toBeUndefined();
    expect(answered.clientApp).toBeUndefined();
    expect(answered.serverApp).toBeDefined();
  });

  it('has no server app until the secret step answered, and uses only finished steps', () => {
    let s = createPipeline(requestId, { action: 'create', userDiscovery: true, nativeApp: true }, at);
    s = succeed(s, 'serverApp', { appId: 'server-app', objectId: 'server-object', ...observedOutput(serverApp) });
    expect(answeredRegistration(s, requestId).serverApp).toBeUndefined();
    expect(answeredRegistration(s, requestId).appRoleAssignments).toBeUndefined();
  });
});
