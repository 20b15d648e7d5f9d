/** The part of an OData CSDL model the Graph emulator validates against. Type names are qualified: `microsoft.graph.application`, `Edm.String`. */
export interface CsdlProperty {
  name: string;
  /** Element type (for a collection, the type of its items). */
  type: string;
  collection: boolean;
  nullable: boolean;
}

export interface CsdlNavigationProperty {
  name: string;
  type: string;
  collection: boolean;
  containsTarget: boolean;
}

export interface CsdlStructuredType {
  kind: 'entity' | 'complex';
  name: string;
  baseType?: string;
  open: boolean;
  abstract: boolean;
  properties: CsdlProperty[];
  navigationProperties: CsdlNavigationProperty[];
  /** Alternate keys (Org.OData.Core.V1.AlternateKeys), each a list of property names. */
  alternateKeys: string[][];
}

export interface CsdlEnumType {
  name: string;
  members: string[];
  flags: boolean;
}

export interface CsdlAction {
  name: string;
  /** Qualified type of the binding parameter. */
  boundTo: string;
  parameters: CsdlProperty[];
  returnType?: { type: string; collection: boolean };
}

export interface CsdlModel {
  structuredTypes: Record<string, CsdlStructuredType>;
  enumTypes: Record<string, CsdlEnumType>;
  actions: CsdlAction[];
}

export interface CsdlSubset extends CsdlModel {
  /** Where the subset was extracted from, to tell a stale copy. */
  source: { file: string; sha256: string; roots: string[] };
}
