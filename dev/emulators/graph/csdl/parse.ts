import { XMLParser } from 'fast-xml-parser';
import type {
  CsdlAction,
  CsdlEnumType,
  CsdlModel,
  CsdlNavigationProperty,
  CsdlProperty,
  CsdlStructuredType,
} from './model';

type XmlNode = Record<string, unknown>;

const ARRAY_ELEMENTS = new Set([
  'Schema',
  'EntityType',
  'ComplexType',
  'EnumType',
  'Property',
  'NavigationProperty',
  'Member',
  'Action',
  'Function',
  'Parameter',
  'Annotation',
  'Record',
  'PropertyValue',
  'Collection',
  'PropertyRef',
]);

function list(node: unknown, key: string): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  const v = (node as XmlNode)[key];
  return Array.isArray(v) ? (v as XmlNode[]) : v && typeof v === 'object' ? [v as XmlNode] : [];
}

function attr(node: XmlNode, name: string): string | undefined {
  const v = node[name];
  return typeof v === 'string' ? v : undefined;
}

/** `graph.x` / `Collection(graph.x)` → qualified element type and collection flag. */
export function qualifyType(raw: string, alias: string, namespace: string): { type: string; collection: boolean } {
  const m = /^Collection\((.+)\)$/.exec(raw);
  const inner = m?.[1] ?? raw;
  const type = inner.startsWith(`${alias}.`) ? `${namespace}.${inner.slice(alias.length + 1)}` : inner;
  return { type, collection: Boolean(m) };
}

function property(node: XmlNode, alias: string, ns: string): CsdlProperty {
  const { type, collection } = qualifyType(attr(node, 'Type') ?? 'Edm.String', alias, ns);
  return { name: attr(node, 'Name') ?? '', type, collection, nullable: attr(node, 'Nullable') !== 'false' };
}

/** Collects every `PropertyPath` attribute below a node (the property names of one alternate key). */
function propertyPaths(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const n of node) propertyPaths(n, out);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as XmlNode)) {
      if (k === 'PropertyPath' && typeof v === 'string') out.push(v);
      else propertyPaths(v, out);
    }
  }
  return out;
}

function alternateKeys(typeNode: XmlNode): string[][] {
  const annotation = list(typeNode, 'Annotation').find((a) => attr(a, 'Term') === 'Org.OData.Core.V1.AlternateKeys');
  if (!annotation) return [];
  return list(annotation, 'Collection')
    .flatMap((c) => list(c, 'Record'))
    .map((r) => propertyPaths(r))
    .filter((k) => k.length > 0);
}

/** Parses an OData CSDL (EDMX) document into the emulator's model. */
export function parseCsdl(xml: string): CsdlModel {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    removeNSPrefix: true,
    parseAttributeValue: false,
    isArray: (name) => ARRAY_ELEMENTS.has(name),
  });
  const doc = parser.parse(xml) as XmlNode;
  const edmx = (doc.Edmx ?? {}) as XmlNode;
  const dataServices = (edmx.DataServices ?? {}) as XmlNode;
  const model: CsdlModel = { structuredTypes: {}, enumTypes: {}, actions: [] };
  for (const schema of list(dataServices, 'Schema')) {
    const ns = attr(schema, 'Namespace') ?? '';
    const alias = attr(schema, 'Alias') ?? ns;
    for (const [element, kind] of [
      ['EntityType', 'entity'],
      ['ComplexType', 'complex'],
    ] as const) {
      for (const t of list(schema, element)) {
        const name = `${ns}.${attr(t, 'Name') ?? ''}`;
        const base = attr(t, 'BaseType');
        const navigationProperties: CsdlNavigationProperty[] = list(t, 'NavigationProperty').map((n) => {
          const { type, collection } = qualifyType(attr(n, 'Type') ?? '', alias, ns);
          return {
            name: attr(n, 'Name') ?? '',
            type,
            collection,
            containsTarget: attr(n, 'ContainsTarget') === 'true',
          };
        });
        const structured: CsdlStructuredType = {
          kind,
          name,
          ...(base ? { baseType: qualifyType(base, alias, ns).type } : {}),
          open: attr(t, 'OpenType') === 'true',
          abstract: attr(t, 'Abstract') === 'true',
          properties: list(t, 'Property').map((p) => property(p, alias, ns)),
          navigationProperties,
          alternateKeys: alternateKeys(t),
        };
        model.structuredTypes[name] = structured;
      }
    }
    for (const e of list(schema, 'EnumType')) {
      const name = `${ns}.${attr(e, 'Name') ?? ''}`;
      const en: CsdlEnumType = {
        name,
        members: list(e, 'Member').map((m) => attr(m, 'Name') ?? ''),
        flags: attr(e, 'IsFlags') === 'true',
      };
      model.enumTypes[name] = en;
    }
    for (const a of list(schema, 'Action')) {
      if (attr(a, 'IsBound') !== 'true') continue;
      const params = list(a, 'Parameter').map((p) => property(p, alias, ns));
      const [binding, ...rest] = params;
      if (!binding) continue;
      const ret = list(a, 'ReturnType')[0] ?? (a.ReturnType as XmlNode | undefined);
      const action: CsdlAction = {
        name: `${ns}.${attr(a, 'Name') ?? ''}`,
        boundTo: binding.type,
        parameters: rest,
        ...(ret && attr(ret, 'Type') ? { returnType: qualifyType(attr(ret, 'Type') ?? '', alias, ns) } : {}),
      };
      model.actions.push(action);
    }
  }
  return model;
}

/**
 * The smallest self-contained part of a model that covers `roots` (structured types) and the actions bound to
 * them: base types and every structured or enum type reachable through structural properties and action
 * parameters. Navigation targets are not followed.
 */
export function extractSubset(model: CsdlModel, roots: string[], actionNames: string[]): CsdlModel {
  const out: CsdlModel = { structuredTypes: {}, enumTypes: {}, actions: [] };
  const queue = [...roots];
  const visit = (type: string): void => {
    if (model.structuredTypes[type] && !out.structuredTypes[type]) queue.push(type);
    const en = model.enumTypes[type];
    if (en) out.enumTypes[type] = en;
  };
  const actions = model.actions.filter((a) => actionNames.includes(a.name) && roots.includes(a.boundTo));
  for (const a of actions) {
    out.actions.push(a);
    for (const p of a.parameters) visit(p.type);
    if (a.returnType) visit(a.returnType.type);
  }
  while (queue.length) {
    const name = queue.shift() as string;
    if (out.structuredTypes[name]) continue;
    const t = model.structuredTypes[name];
    if (!t) throw new Error(`CSDL has no type ${name}`);
    out.structuredTypes[name] = t;
    if (t.baseType) visit(t.baseType);
    for (const p of t.properties) visit(p.type);
  }
  // stable order, so the generated file diffs cleanly
  out.structuredTypes = Object.fromEntries(Object.entries(out.structuredTypes).sort(([a], [b]) => a.localeCompare(b)));
  out.enumTypes = Object.fromEntries(Object.entries(out.enumTypes).sort(([a], [b]) => a.localeCompare(b)));
  out.actions.sort((a, b) => a.name.localeCompare(b.name) || a.boundTo.localeCompare(b.boundTo));
  return out;
}

/** The entity types the emulator serves, and the actions it implements. */
export const SUBSET_ROOTS = [
  'microsoft.graph.application',
  'microsoft.graph.servicePrincipal',
  'microsoft.graph.appRoleAssignment',
  'microsoft.graph.oAuth2PermissionGrant',
  'microsoft.graph.directoryObject',
];
export const SUBSET_ACTIONS = [
  'microsoft.graph.addPassword',
  'microsoft.graph.removePassword',
  'microsoft.graph.restore',
];
