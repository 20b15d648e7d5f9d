import { isGuid } from '../../directory';
import type { JsonObject } from '../../directory';
import { Errors, GraphError } from '../errors';
import type { CsdlAction, CsdlModel, CsdlNavigationProperty, CsdlProperty, CsdlStructuredType } from './model';
import { GRAPH_SCHEMA } from './schema.generated';

const NS = 'microsoft.graph';
const DATE_TIME_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,7})?)?(Z|[+-]\d\d:\d\d)$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Complex properties Graph returns as an object of defaults (not null) when never set. */
const INITIALIZED: ReadonlySet<string> = new Set([
  `${NS}.application.api`,
  `${NS}.application.info`,
  `${NS}.application.parentalControlSettings`,
  `${NS}.application.publicClient`,
  `${NS}.application.spa`,
  `${NS}.application.verifiedPublisher`,
  `${NS}.application.web`,
  `${NS}.webApplication.implicitGrantSettings`,
  `${NS}.servicePrincipal.info`,
  `${NS}.servicePrincipal.verifiedPublisher`,
]);

/** Primitive defaults Graph reports for properties never set (everything else is null, collections []). */
const PRIMITIVE_DEFAULTS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  [`${NS}.implicitGrantSettings.enableAccessTokenIssuance`, false],
  [`${NS}.implicitGrantSettings.enableIdTokenIssuance`, false],
  [`${NS}.parentalControlSettings.legalAgeGroupRule`, 'Allow'],
  [`${NS}.servicePrincipal.accountEnabled`, true],
  [`${NS}.servicePrincipal.appRoleAssignmentRequired`, false],
  [`${NS}.application.oauth2RequirePostResponse`, false],
]);

/** Properties Graph leaves out unless `$select`ed. */
const SELECT_ONLY: ReadonlySet<string> = new Set([
  `${NS}.application.logo`,
  `${NS}.application.authenticationBehaviors`,
  `${NS}.servicePrincipal.customSecurityAttributes`,
]);

export interface RenderOptions {
  /** `$select`: only these top-level properties. */
  select?: readonly string[];
}

function jsonNodeKind(value: unknown): 'StartArray' | 'StartObject' | 'PrimitiveValue' {
  if (Array.isArray(value)) return 'StartArray';
  if (value !== null && typeof value === 'object') return 'StartObject';
  return 'PrimitiveValue';
}

function literal(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The Graph v1.0 model (the subset the emulator serves): body validation and default-filled rendering. */
export class GraphSchema {
  private readonly propertyCache = new Map<string, Map<string, CsdlProperty>>();
  private readonly navigationCache = new Map<string, Map<string, CsdlNavigationProperty>>();

  constructor(private readonly model: CsdlModel = GRAPH_SCHEMA) {}

  static qualify(name: string): string {
    return name.includes('.') ? name : `${NS}.${name}`;
  }

  structured(name: string): CsdlStructuredType {
    const t = this.model.structuredTypes[GraphSchema.qualify(name)];
    if (!t) throw new Error(`Graph schema has no type ${name}`);
    return t;
  }

  private chain(name: string): CsdlStructuredType[] {
    const out: CsdlStructuredType[] = [];
    let t: CsdlStructuredType | undefined = this.structured(name);
    while (t) {
      out.unshift(t);
      t = t.baseType ? this.model.structuredTypes[t.baseType] : undefined;
    }
    return out;
  }

  /** Structural properties, base type first. */
  properties(name: string): Map<string, CsdlProperty> {
    const key = GraphSchema.qualify(name);
    let map = this.propertyCache.get(key);
    if (!map) {
      map = new Map(this.chain(key).flatMap((t) => t.properties.map((p) => [p.name, p] as const)));
      this.propertyCache.set(key, map);
    }
    return map;
  }

  navigationProperties(name: string): Map<string, CsdlNavigationProperty> {
    const key = GraphSchema.qualify(name);
    let map = this.navigationCache.get(key);
    if (!map) {
      map = new Map(this.chain(key).flatMap((t) => t.navigationProperties.map((p) => [p.name, p] as const)));
      this.navigationCache.set(key, map);
    }
    return map;
  }

  isOpen(name: string): boolean {
    return this.chain(name).some((t) => t.open);
  }

  alternateKeys(name: string): string[][] {
    return this.structured(name).alternateKeys;
  }

  action(name: string, boundTo: string): CsdlAction | undefined {
    const n = GraphSchema.qualify(name);
    const b = GraphSchema.qualify(boundTo);
    return this.model.actions.find((a) => a.name === n && a.boundTo === b);
  }

  /**
   * Validates a request body against a structured type as Graph's OData reader does: the first problem wins.
   * `{nav}@odata.bind` annotations are accepted for navigation properties; other instance annotations are ignored.
   */
  validate(value: unknown, typeName: string): void {
    const type = GraphSchema.qualify(typeName);
    if (jsonNodeKind(value) !== 'StartObject') {
      throw Errors.badRequest(
        `An unexpected '${jsonNodeKind(value)}' node was found when reading from the JSON reader. A 'StartObject' node was expected.`,
      );
    }
    this.validateObject(value as JsonObject, type, true);
  }

  private validateObject(obj: JsonObject, type: string, topLevel: boolean): void {
    const props = this.properties(type);
    const navs = this.navigationProperties(type);
    for (const [key, value] of Object.entries(obj)) {
      if (key === '@odata.type') {
        const wanted = String(value).replace(/^#/, '');
        if (wanted !== type) {
          throw Errors.badRequest(
            `A type named '${wanted}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.`,
          );
        }
        continue;
      }
      const at = key.indexOf('@');
      if (at >= 0) {
        const owner = key.slice(0, at);
        if (key.endsWith('@odata.bind') && owner && !navs.has(owner)) {
          throw Errors.badRequest(
            `The property '${owner}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type.`,
          );
        }
        continue;
      }
      const prop = props.get(key);
      if (!prop) {
        if (navs.has(key)) {
          throw Errors.badRequest(
            `The request body contains the navigation property '${key}'; bind related objects with '${key}@odata.bind' instead.`,
          );
        }
        if (this.isOpen(type)) {
          if (topLevel) throw Errors.undeclaredProperty(key);
          continue;
        }
        throw Errors.badRequest(
          `The property '${key}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type.`,
        );
      }
      this.validateValue(value, prop, type);
    }
  }

  private typeLabel(prop: CsdlProperty): string {
    const t = prop.collection ? `Collection(${prop.type})` : prop.type;
    return prop.nullable ? `${t}[Nullable=True]` : `${t}[Nullable=False]`;
  }

  private validateValue(value: unknown, prop: CsdlProperty, owner: string): void {
    if (value === null) {
      if (prop.collection || !prop.nullable) {
        const label = this.typeLabel(prop);
        throw Errors.badRequest(
          `A null value was found for the property named '${prop.name}', which has the expected type '${label}'. The expected type '${label}' does not allow null values.`,
        );
      }
      return;
    }
    if (prop.collection) {
      if (!Array.isArray(value)) {
        throw Errors.badRequest(
          `An unexpected '${jsonNodeKind(value)}' node was found for property named '${prop.name}' when reading from the JSON reader. A 'StartArray' node was expected.`,
        );
      }
      for (const item of value) {
        if (item === null) {
          throw Errors.badRequest(
            `A null value was found for the property named '${prop.name}', which has the expected type '${this.typeLabel(prop)}'. The expected type '${prop.type}[Nullable=False]' does not allow null values.`,
          );
        }
        this.validateSingle(item, prop, owner);
      }
      return;
    }
    this.validateSingle(value, prop, owner);
  }

  private validateSingle(value: unknown, prop: CsdlProperty, owner: string): void {
    const structured = this.model.structuredTypes[prop.type];
    if (structured) {
      if (jsonNodeKind(value) !== 'StartObject') {
        throw Errors.badRequest(
          `An unexpected '${jsonNodeKind(value)}' node was found for property named '${prop.name}' when reading from the JSON reader. A 'StartObject' node was expected.`,
        );
      }
      this.validateObject(value as JsonObject, prop.type, false);
      return;
    }
    if (jsonNodeKind(value) !== 'PrimitiveValue') {
      throw Errors.badRequest(
        `An unexpected '${jsonNodeKind(value)}' node was found for property named '${prop.name}' when reading from the JSON reader. A 'PrimitiveValue' node was expected.`,
      );
    }
    const convertLiteral = (): GraphError =>
      Errors.badRequest(`Cannot convert the literal '${literal(value)}' to the expected type '${prop.type}'.`);
    const convertPrimitive = (): GraphError =>
      Errors.badRequest(
        `Cannot convert a primitive value to the expected type '${prop.type}'. See the inner exception for more details.`,
      );
    const enumType = this.model.enumTypes[prop.type];
    if (enumType) {
      if (typeof value !== 'string') throw convertPrimitive();
      const parts = enumType.flags ? value.split(',').map((s) => s.trim()) : [value];
      if (!parts.every((p) => enumType.members.includes(p))) throw convertLiteral();
      return;
    }
    switch (prop.type) {
      case 'Edm.String':
        if (typeof value !== 'string') throw convertPrimitive();
        return;
      case 'Edm.Boolean':
        if (typeof value !== 'boolean') throw convertPrimitive();
        return;
      case 'Edm.Int16':
      case 'Edm.Int32':
      case 'Edm.Int64':
      case 'Edm.Byte':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw convertPrimitive();
        return;
      case 'Edm.Double':
      case 'Edm.Single':
      case 'Edm.Decimal':
        if (typeof value !== 'number') throw convertPrimitive();
        return;
      case 'Edm.Guid':
        if (typeof value !== 'string') throw convertPrimitive();
        if (!isGuid(value)) throw convertLiteral();
        return;
      case 'Edm.DateTimeOffset':
        if (typeof value !== 'string') throw convertPrimitive();
        if (!DATE_TIME_OFFSET.test(value) || Number.isNaN(Date.parse(value))) throw convertLiteral();
        return;
      case 'Edm.Binary':
        if (typeof value !== 'string') throw convertPrimitive();
        if (!BASE64.test(value) || value.length % 4 !== 0) throw convertLiteral();
        return;
      case 'Edm.Stream':
        throw Errors.badRequest(
          `The stream property '${prop.name}' of type '${owner}' cannot be set in a request body.`,
        );
      default:
        return;
    }
  }

  /** The default of a property never written: a primitive default, an initialized complex object, [] or null. */
  private defaultValue(owner: string, prop: CsdlProperty): unknown {
    if (prop.collection) return [];
    const key = `${owner}.${prop.name}`;
    if (PRIMITIVE_DEFAULTS.has(key)) return PRIMITIVE_DEFAULTS.get(key);
    if (INITIALIZED.has(key)) return this.renderComplex(prop.type, {});
    return null;
  }

  private renderComplex(type: string, stored: JsonObject): JsonObject {
    if (this.isOpen(type) && this.properties(type).size === 0) return { ...stored };
    const out: JsonObject = {};
    for (const prop of this.properties(type).values()) {
      out[prop.name] = prop.name in stored ? this.renderValue(stored[prop.name], prop) : this.defaultValue(type, prop);
    }
    return out;
  }

  private renderValue(value: unknown, prop: CsdlProperty): unknown {
    if (value === null || value === undefined) return prop.collection ? [] : null;
    if (!this.model.structuredTypes[prop.type]) return value;
    if (prop.collection) {
      return Array.isArray(value) ? value.map((v) => this.renderComplex(prop.type, (v ?? {}) as JsonObject)) : [];
    }
    return this.renderComplex(prop.type, value as JsonObject);
  }

  /** An entity as Graph returns it: every structural property, never-written ones with their defaults. */
  render(typeName: string, stored: JsonObject, options: RenderOptions = {}): JsonObject {
    const type = GraphSchema.qualify(typeName);
    const out: JsonObject = {};
    const select = options.select ? new Set(options.select) : undefined;
    for (const prop of this.properties(type).values()) {
      const key = `${type}.${prop.name}`;
      if (select ? !select.has(prop.name) : SELECT_ONLY.has(key)) continue;
      if (prop.type === 'Edm.Stream') continue;
      out[prop.name] = prop.name in stored ? this.renderValue(stored[prop.name], prop) : this.defaultValue(type, prop);
    }
    return out;
  }

  /**
   * Merges a PATCH body into stored properties as Graph does for directory objects: each property in the body
   * replaces the stored one; a complex value is merged one level at a time (properties it omits keep their values);
   * collections are replaced whole.
   */
  merge(typeName: string, stored: JsonObject, patch: JsonObject): JsonObject {
    const type = GraphSchema.qualify(typeName);
    const props = this.properties(type);
    const out: JsonObject = { ...stored };
    for (const [key, value] of Object.entries(patch)) {
      if (key.includes('@')) continue;
      const prop = props.get(key);
      if (prop && !prop.collection && value !== null && this.model.structuredTypes[prop.type]) {
        const current = out[key];
        out[key] = this.merge(
          prop.type,
          current && typeof current === 'object' && !Array.isArray(current) ? (current as JsonObject) : {},
          value as JsonObject,
        );
      } else {
        out[key] = value;
      }
    }
    return out;
  }
}
