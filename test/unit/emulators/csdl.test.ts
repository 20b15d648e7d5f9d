import { existsSync } from 'node:fs';
import { buildSubset, DEFAULT_CSDL } from '../../../dev/emulators/graph/csdl/generate';
import { GRAPH_SCHEMA } from '../../../dev/emulators/graph/csdl/schema.generated';
import { GraphSchema } from '../../../dev/emulators/graph/csdl/schema';
import { GraphError } from '../../../dev/emulators/graph/errors';

function thrown(fn: () => void): GraphError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GraphError) return err;
    throw err;
  }
  throw new Error('expected a GraphError');
}

describe('the Graph schema subset', () => {
  it('is what the v1.0 CSDL says (regenerate with dev/emulators/graph/csdl/generate.ts when this fails)', () => {
    expect(existsSync(DEFAULT_CSDL)).toBe(true);
    const fresh = buildSubset(DEFAULT_CSDL);
    expect(GRAPH_SCHEMA.source.sha256).toBe(fresh.source.sha256);
    expect(GRAPH_SCHEMA.structuredTypes).toEqual(fresh.structuredTypes);
    expect(GRAPH_SCHEMA.enumTypes).toEqual(fresh.enumTypes);
    expect(GRAPH_SCHEMA.actions).toEqual(fresh.actions);
  });

  it('knows the alternate keys of applications and service principals', () => {
    const schema = new GraphSchema();
    expect(schema.alternateKeys('application')).toEqual([['appId'], ['uniqueName']]);
    expect(schema.alternateKeys('servicePrincipal')).toEqual([['appId']]);
    expect(schema.action('addPassword', 'application')?.parameters.map((p) => p.name)).toEqual(['passwordCredential']);
  });
});

describe('GraphSchema.validate', () => {
  const schema = new GraphSchema();

  it('accepts a valid CMG server application body', () => {
    expect(() =>
      schema.validate(
        {
          displayName: 'CMG-ServerApp',
          signInAudience: 'AzureADMyOrg',
          identifierUris: ['api://x/y'],
          web: { homePageUrl: 'https://ConfigMgrService', implicitGrantSettings: { enableIdTokenIssuance: true } },
          publicClient: { redirectUris: ['http://localhost'] },
          api: {
            oauth2PermissionScopes: [
              {
                id: '1b4f816e-5eaf-48b9-8613-7923830595ad',
                value: 'user_impersonation',
                type: 'User',
                isEnabled: true,
              },
            ],
          },
          requiredResourceAccess: [
            {
              resourceAppId: '00000003-0000-0000-c000-000000000000',
              resourceAccess: [{ id: '7ab1d382-f21e-4acd-a863-ba3e13f7da61', type: 'Role' }],
            },
          ],
          'owners@odata.bind': ['https://graph.microsoft.com/v1.0/directoryObjects/x'],
        },
        'application',
      ),
    ).not.toThrow();
  });

  it('names the unknown property, top-level (open type) and nested (closed type)', () => {
    expect(thrown(() => schema.validate({ uniquename: 'x' }, 'application')).message).toBe(
      "Property 'uniquename' does not exist as a declared property or extension property.",
    );
    expect(thrown(() => schema.validate({ api: { oauth2Permissions: [] } }, 'application')).message).toBe(
      "The property 'oauth2Permissions' does not exist on type 'microsoft.graph.apiApplication'. Make sure to only use property names that are defined by the type.",
    );
  });

  it('checks primitive types, GUIDs, dates, nullability and collections', () => {
    expect(thrown(() => schema.validate({ displayName: 5 }, 'application')).message).toBe(
      "Cannot convert a primitive value to the expected type 'Edm.String'. See the inner exception for more details.",
    );
    expect(thrown(() => schema.validate({ tokenEncryptionKeyId: 'abc' }, 'application')).message).toBe(
      "Cannot convert the literal 'abc' to the expected type 'Edm.Guid'.",
    );
    expect(thrown(() => schema.validate({ endDateTime: 'tomorrow' }, 'passwordCredential')).message).toBe(
      "Cannot convert the literal 'tomorrow' to the expected type 'Edm.DateTimeOffset'.",
    );
    expect(thrown(() => schema.validate({ tags: null }, 'application')).message).toMatch(
      /^A null value was found for the property named 'tags', which has the expected type 'Collection\(Edm\.String\)\[Nullable=False\]'/,
    );
    expect(thrown(() => schema.validate({ web: [] }, 'application')).message).toMatch(
      /A 'StartObject' node was expected/,
    );
    expect(thrown(() => schema.validate([], 'application')).status).toBe(400);
    expect(thrown(() => schema.validate({ nativeAuthenticationApisEnabled: 'sometimes' }, 'application')).message).toBe(
      "Cannot convert the literal 'sometimes' to the expected type 'microsoft.graph.nativeAuthenticationApisEnabled'.",
    );
  });
});

describe('GraphSchema.render and merge', () => {
  const schema = new GraphSchema();

  it('fills never-written properties as Graph returns them', () => {
    const app = schema.render('application', { id: 'x', displayName: 'n' });
    expect(app).toMatchObject({
      id: 'x',
      deletedDateTime: null,
      displayName: 'n',
      identifierUris: [],
      tags: [],
      api: {
        acceptMappedClaims: null,
        knownClientApplications: [],
        oauth2PermissionScopes: [],
        preAuthorizedApplications: [],
      },
      web: { implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false } },
      parentalControlSettings: { countriesBlockedForMinors: [], legalAgeGroupRule: 'Allow' },
      optionalClaims: null,
    });
    expect('logo' in app).toBe(false);
    expect(
      Object.keys(schema.render('application', { id: 'x', displayName: 'n' }, { select: ['displayName'] })),
    ).toEqual(['displayName']);
    expect(schema.render('servicePrincipal', { id: 'y' })).toMatchObject({
      accountEnabled: true,
      appRoleAssignmentRequired: false,
    });
  });

  it('merges complex values property by property and replaces collections whole', () => {
    const stored = {
      web: { homePageUrl: 'https://a', redirectUris: ['https://a/1', 'https://a/2'] },
      tags: ['a', 'b'],
    };
    const merged = schema.merge('application', stored, { web: { redirectUris: ['https://b'] }, tags: ['c'] });
    expect(merged).toEqual({ web: { homePageUrl: 'https://a', redirectUris: ['https://b'] }, tags: ['c'] });
    expect(schema.merge('application', stored, { web: null })).toEqual({ web: null, tags: ['a', 'b'] });
  });
});
