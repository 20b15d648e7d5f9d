/**
 * Every property the builders emit must exist, with a matching type, on the Graph entity or complex type it is
 * sent as, in the Graph v1.0 metadata of both the global cloud and US Government (../shared/graph).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildAddPassword,
  buildClientApplication,
  buildClientRedirectPatch,
  buildDirectoryReadAllAssignment,
  buildGraphUserReadGrant,
  buildServerApplication,
  buildServicePrincipal,
  buildUserImpersonationGrant,
  serverAppSpec,
} from '../../../src/shared/domain/manifests';
import {
  CLIENT_APP_ID,
  CLIENT_SP_ID,
  GRAPH_SP_ID,
  REQUEST_ID,
  SERVER_APP_ID,
  SERVER_SP_ID,
  compliantObserved,
  validRequest,
} from './fixtures';

const GRAPH_DIR = path.resolve(__dirname, '../../../../shared/graph');

interface TypeDef {
  readonly base?: string;
  readonly props: Map<string, string>;
}

function loadTypes(file: string): Map<string, TypeDef> {
  const xml = readFileSync(path.join(GRAPH_DIR, file), 'utf8');
  const types = new Map<string, TypeDef>();
  const block = /<(EntityType|ComplexType|EnumType) Name="([^"]+)"([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/g;
  for (const m of xml.matchAll(block)) {
    const [, kind, name, attrs, , body] = m;
    const props = new Map<string, string>();
    if (kind === 'EnumType') props.set('#enum', 'enum');
    for (const p of (body ?? '').matchAll(/<Property Name="([^"]+)" Type="([^"]+)"/g)) props.set(p[1]!, p[2]!);
    const base = /BaseType="graph\.([^"]+)"/.exec(attrs ?? '')?.[1];
    types.set(name!, base === undefined ? { props } : { base, props });
  }
  return types;
}

function propertyType(types: Map<string, TypeDef>, typeName: string, prop: string): string | undefined {
  for (let t = types.get(typeName); t !== undefined; t = t.base === undefined ? undefined : types.get(t.base)) {
    const found = t.props.get(prop);
    if (found !== undefined) return found;
  }
  return undefined;
}

function conform(types: Map<string, TypeDef>, typeName: string, value: unknown, at: string, problems: string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${at}: expected an object of graph.${typeName}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const t = propertyType(types, typeName, key);
    if (t === undefined) problems.push(`${at}.${key}: no such property on graph.${typeName}`);
    else conformValue(types, t, v, `${at}.${key}`, problems);
  }
}

function conformValue(types: Map<string, TypeDef>, type: string, v: unknown, at: string, problems: string[]): void {
  const coll = /^Collection\((.+)\)$/.exec(type);
  if (coll) {
    if (!Array.isArray(v)) problems.push(`${at}: expected an array (${type})`);
    else v.forEach((x, i) => conformValue(types, coll[1]!, x, `${at}[${i}]`, problems));
    return;
  }
  const ok: Record<string, (x: unknown) => boolean> = {
    'Edm.String': (x) => typeof x === 'string',
    'Edm.Boolean': (x) => typeof x === 'boolean',
    'Edm.Int32': (x) => Number.isInteger(x),
    'Edm.Guid': (x) =>
      typeof x === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(x),
    'Edm.DateTimeOffset': (x) =>
      typeof x === 'string' && !Number.isNaN(Date.parse(x)) && /T.*(Z|[+-]\d\d:\d\d)$/.test(x),
  };
  const check = ok[type];
  if (check !== undefined) {
    if (!check(v)) problems.push(`${at}: ${JSON.stringify(v)} is not ${type}`);
    return;
  }
  const name = type.replace(/^graph\./, '');
  if (types.get(name)?.props.has('#enum')) {
    if (typeof v !== 'string') problems.push(`${at}: expected an enum member name`);
    return;
  }
  conform(types, name, v, at, problems);
}

const request = validRequest();
const bodies: [string, string, unknown][] = [
  ['server app (with user discovery)', 'application', buildServerApplication(serverAppSpec(request, REQUEST_ID)).body],
  [
    'server app (without user discovery)',
    'application',
    buildServerApplication({ ...serverAppSpec(request, REQUEST_ID), userDiscovery: false }).body,
  ],
  [
    'client app',
    'application',
    buildClientApplication({ requestId: REQUEST_ID, displayName: 'CMG-ClientApp', serverAppId: SERVER_APP_ID }).body,
  ],
  ['client redirect patch', 'application', buildClientRedirectPatch(CLIENT_APP_ID)],
  ['service principal', 'servicePrincipal', buildServicePrincipal(REQUEST_ID, 'server', 'CMG-ServerApp')],
  ['Directory.Read.All assignment', 'appRoleAssignment', buildDirectoryReadAllAssignment(SERVER_SP_ID, GRAPH_SP_ID)],
  ['user_impersonation grant', 'oAuth2PermissionGrant', buildUserImpersonationGrant(CLIENT_SP_ID, SERVER_SP_ID)],
  ['User.Read grant', 'oAuth2PermissionGrant', buildGraphUserReadGrant(CLIENT_SP_ID, GRAPH_SP_ID)],
  [
    'addPassword parameter',
    'passwordCredential',
    buildAddPassword(REQUEST_ID, 1, new Date('2026-01-01T00:00:00Z')).passwordCredential,
  ],
];

const observed = compliantObserved();
const fixtures: [string, string, unknown][] = [
  ['observed server app', 'application', observed.serverApp],
  ['observed client app', 'application', observed.clientApp],
  ['observed server SP', 'servicePrincipal', observed.serverServicePrincipal],
  ['observed role assignment', 'appRoleAssignment', observed.appRoleAssignments[0]],
  ['observed grant', 'oAuth2PermissionGrant', observed.oauth2PermissionGrants[0]],
];

describe.each(['v1.0-Prod.csdl', 'v1.0-Fairfax.csdl'])('Graph metadata %s', (file) => {
  const types = loadTypes(file);

  it('parses the types the builders use', () => {
    expect(propertyType(types, 'application', 'identifierUris')).toBe('Collection(Edm.String)');
    expect(propertyType(types, 'application', 'id')).toBe('Edm.String');
    expect(propertyType(types, 'permissionScope', 'id')).toBe('Edm.Guid');
    expect(propertyType(types, 'application', 'noSuchProperty')).toBeUndefined();
  });

  it('application has the uniqueName alternate key used for idempotent creation', () => {
    expect(propertyType(types, 'application', 'uniqueName')).toBe('Edm.String');
  });

  it.each([...bodies, ...fixtures])('%s conforms to graph.%s', (_what, typeName, body) => {
    const problems: string[] = [];
    conform(types, typeName, body, typeName, problems);
    expect(problems).toEqual([]);
  });

  it('the checker catches a misspelt property and a wrong type', () => {
    const problems: string[] = [];
    conform(
      types,
      'application',
      { isFallbackPublicClients: true, signInAudience: 1, web: { homePageURL: 'x' } },
      'application',
      problems,
    );
    expect(problems).toHaveLength(3);
  });
});
