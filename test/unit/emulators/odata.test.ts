import { GraphError } from '../../../dev/emulators/graph/errors';
import { encodeSkipToken, evaluate, filterUsage, parseFilter, parseQuery } from '../../../dev/emulators/graph/odata';

const app = {
  displayName: 'CMG-ServerApp',
  appId: '3b9d1e2f-6a7c-4d8e-b1f0-2c3d4e5f6a7b',
  tags: ['cmg', "o'brien"],
  identifierUris: ['api://t/x'],
  signInAudience: 'AzureADMyOrg',
};

describe('$filter', () => {
  it.each([
    ["displayName eq 'CMG-ServerApp'", true],
    ["displayName eq 'cmg-serverapp'", true], // directory string comparison ignores case
    ["displayName eq 'other'", false],
    ["startswith(displayName,'CMG-')", true],
    ["startswith(displayName, 'Server')", false],
    ["tags/any(t:t eq 'cmg')", true],
    ["tags/any(t: t eq 'o''brien')", true],
    ["tags/any(t:t eq 'none')", false],
    ["identifierUris/any(x:startswith(x,'api://t/'))", true],
    ['appId eq 3b9d1e2f-6a7c-4d8e-b1f0-2c3d4e5f6a7b', true],
    ["displayName eq 'x' or signInAudience eq 'AzureADMyOrg'", true],
    ["displayName eq 'CMG-ServerApp' and (signInAudience eq 'x' or tags/any(t:t eq 'cmg'))", true],
    ["not(displayName eq 'CMG-ServerApp')", false],
    ["displayName in ('a', 'CMG-ServerApp')", true],
    ["endswith(displayName,'App')", true],
    ["displayName ne 'CMG-ServerApp'", false],
  ])('%s → %s', (filter, expected) => {
    expect(evaluate(parseFilter(filter), app)).toBe(expected);
  });

  it('reports the properties and operators a filter uses', () => {
    const usage = filterUsage(
      parseFilter("tags/any(t:t eq 'a') and displayName ne 'b' and startswith(uniqueName,'c')"),
    );
    expect([...usage.properties].sort()).toEqual(['displayName', 'tags', 'uniqueName']);
    expect([...usage.operators].sort()).toEqual(['any', 'eq', 'ne', 'startswith']);
  });

  it('refuses malformed filters with 400', () => {
    for (const bad of ["displayName eq 'x", 'displayName eq', "eq 'x'", "displayName eq 'x' extra"]) {
      expect(() => parseFilter(bad)).toThrow(GraphError);
    }
  });
});

describe('query options', () => {
  it('reads $top, $select, $count, $skiptoken and ConsistencyLevel', () => {
    const q = parseQuery(
      new URLSearchParams({ $top: '5', $select: 'id,displayName', $count: 'true', $skiptoken: encodeSkipToken(10) }),
      { consistencylevel: 'eventual' },
    );
    expect(q).toMatchObject({ top: 5, select: ['id', 'displayName'], count: true, offset: 10, eventual: true });
  });

  it('refuses a page size outside 1..999 and an unknown skiptoken', () => {
    expect(() => parseQuery(new URLSearchParams({ $top: '1000' }), {})).toThrow(
      "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    );
    expect(() => parseQuery(new URLSearchParams({ $skiptoken: 'abc' }), {})).toThrow(GraphError);
    expect(() => parseQuery(new URLSearchParams({ $expand: 'owners' }), {})).toThrow(GraphError);
  });
});
