import type { JsonObject } from '../directory';
import { Errors, GraphError } from './errors';

/** A parsed `$filter` expression. */
export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; left: Operand; right: Operand }
  | { kind: 'in'; left: Operand; values: Literal[] }
  | { kind: 'call'; fn: 'startswith' | 'endswith'; args: Operand[] }
  | { kind: 'any'; collection: string; variable: string; predicate: FilterNode | null };

export type Literal = { kind: 'literal'; value: string | number | boolean | null };
export type Operand = Literal | { kind: 'property'; path: string[] };

type Token =
  { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'id'; v: string } | { t: '(' | ')' | ',' | ':' | '/' };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= input.length) throw Errors.badRequest(`Invalid filter clause: unterminated string literal.`);
        if (input[i] === "'") {
          if (input[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += input[i];
        i++;
      }
      out.push({ t: 'str', v: s });
    } else if ('(),:/'.includes(c)) {
      out.push({ t: c as '(' | ')' | ',' | ':' | '/' });
      i++;
    } else if (/[-0-9]/.test(c) && /^-?\d/.test(input.slice(i))) {
      const m = /^-?\d+(\.\d+)?/.exec(input.slice(i)) as RegExpExecArray;
      // a GUID literal starts with digits too: read it as an identifier-like token
      const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.exec(input.slice(i));
      if (guid) {
        out.push({ t: 'str', v: guid[0] });
        i += guid[0].length;
      } else {
        out.push({ t: 'num', v: Number(m[0]) });
        i += m[0].length;
      }
    } else if (/[A-Za-z_$@]/.test(c)) {
      const m = /^[A-Za-z_$@][A-Za-z0-9_.$@]*/.exec(input.slice(i)) as RegExpExecArray;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      throw Errors.badRequest(`Invalid filter clause: syntax error at position ${i} in '${input}'.`);
    }
  }
  return out;
}

const COMPARISON = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** Parses the `$filter` subset Graph supports on directory objects. */
export function parseFilter(input: string): FilterNode {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const fail = (): GraphError => Errors.badRequest(`Invalid filter clause: syntax error in '${input}'.`);
  const expect = (t: Token['t']): Token => {
    const tok = tokens[pos++];
    if (!tok || tok.t !== t) throw fail();
    return tok;
  };
  const isWord = (w: string): boolean => {
    const tok = peek();
    return tok?.t === 'id' && tok.v.toLowerCase() === w;
  };

  function operand(): Operand {
    const tok = tokens[pos++];
    if (!tok) throw fail();
    if (tok.t === 'str') return { kind: 'literal', value: tok.v };
    if (tok.t === 'num') return { kind: 'literal', value: tok.v };
    if (tok.t === 'id') {
      if (tok.v === 'true' || tok.v === 'false') return { kind: 'literal', value: tok.v === 'true' };
      if (tok.v === 'null') return { kind: 'literal', value: null };
      const path = [tok.v];
      while (peek()?.t === '/') {
        pos++;
        const next = expect('id') as { t: 'id'; v: string };
        path.push(next.v);
      }
      return { kind: 'property', path };
    }
    throw fail();
  }

  function primary(): FilterNode {
    const tok = peek();
    if (!tok) throw fail();
    if (tok.t === '(') {
      pos++;
      const e = orExpr();
      expect(')');
      return e;
    }
    if (isWord('not')) {
      pos++;
      return { kind: 'not', operand: primary() };
    }
    if (tok.t === 'id' && (tok.v === 'startswith' || tok.v === 'endswith') && tokens[pos + 1]?.t === '(') {
      pos += 2;
      const args = [operand()];
      while (peek()?.t === ',') {
        pos++;
        args.push(operand());
      }
      expect(')');
      return { kind: 'call', fn: tok.v, args };
    }
    // collection/any(v: predicate)
    if (tok.t === 'id' && tokens[pos + 1]?.t === '/' && tokens[pos + 2]?.t === 'id') {
      const lambda = tokens[pos + 2] as { t: 'id'; v: string };
      if ((lambda.v === 'any' || lambda.v === 'all') && tokens[pos + 3]?.t === '(') {
        if (lambda.v === 'all') throw Errors.unsupportedQuery("Unsupported query: lambda operator 'all'.");
        pos += 4;
        if (peek()?.t === ')') {
          pos++;
          return { kind: 'any', collection: tok.v, variable: '', predicate: null };
        }
        const variable = (expect('id') as { t: 'id'; v: string }).v;
        expect(':');
        const predicate = orExpr();
        expect(')');
        return { kind: 'any', collection: tok.v, variable, predicate };
      }
    }
    const left = operand();
    const opTok = peek();
    if (opTok?.t === 'id' && COMPARISON.has(opTok.v.toLowerCase())) {
      pos++;
      return {
        kind: 'compare',
        op: opTok.v.toLowerCase() as 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le',
        left,
        right: operand(),
      };
    }
    if (opTok?.t === 'id' && opTok.v.toLowerCase() === 'in') {
      pos++;
      expect('(');
      const values: Literal[] = [];
      for (;;) {
        const v = operand();
        if (v.kind !== 'literal') throw fail();
        values.push(v);
        if (peek()?.t === ',') {
          pos++;
          continue;
        }
        break;
      }
      expect(')');
      return { kind: 'in', left, values };
    }
    throw fail();
  }

  function andExpr(): FilterNode {
    let left = primary();
    while (isWord('and')) {
      pos++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  }

  function orExpr(): FilterNode {
    let left = andExpr();
    while (isWord('or')) {
      pos++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  }

  const result = orExpr();
  if (pos !== tokens.length) throw fail();
  return result;
}

/** Properties a filter refers to (top-level names), with the operators and functions it uses. */
export function filterUsage(node: FilterNode): { properties: Set<string>; operators: Set<string> } {
  const properties = new Set<string>();
  const operators = new Set<string>();
  const visitOperand = (o: Operand, variable?: string): void => {
    if (o.kind === 'property' && o.path[0] !== variable) properties.add(o.path[0] as string);
  };
  const walk = (n: FilterNode, variable?: string): void => {
    switch (n.kind) {
      case 'and':
      case 'or':
        walk(n.left, variable);
        walk(n.right, variable);
        return;
      case 'not':
        operators.add('not');
        walk(n.operand, variable);
        return;
      case 'compare':
        operators.add(n.op);
        visitOperand(n.left, variable);
        visitOperand(n.right, variable);
        return;
      case 'in':
        operators.add('in');
        visitOperand(n.left, variable);
        return;
      case 'call':
        operators.add(n.fn);
        n.args.forEach((a) => visitOperand(a, variable));
        return;
      case 'any':
        operators.add('any');
        properties.add(n.collection);
        if (n.predicate) walk(n.predicate, n.variable);
        return;
    }
  };
  walk(node);
  return { properties, operators };
}

function resolve(o: Operand, item: JsonObject, scope: Record<string, unknown>): unknown {
  if (o.kind === 'literal') return o.value;
  const [head, ...rest] = o.path as [string, ...string[]];
  let v: unknown = head in scope ? scope[head] : item[head];
  for (const p of rest) v = v && typeof v === 'object' ? (v as JsonObject)[p] : undefined;
  return v === undefined ? null : v;
}

function equal(a: unknown, b: unknown): boolean {
  // directory string comparisons are case-insensitive
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase().localeCompare(b.toLowerCase());
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return NaN;
}

export function evaluate(node: FilterNode, item: JsonObject, scope: Record<string, unknown> = {}): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, item, scope) && evaluate(node.right, item, scope);
    case 'or':
      return evaluate(node.left, item, scope) || evaluate(node.right, item, scope);
    case 'not':
      return !evaluate(node.operand, item, scope);
    case 'compare': {
      const a = resolve(node.left, item, scope);
      const b = resolve(node.right, item, scope);
      switch (node.op) {
        case 'eq':
          return equal(a, b);
        case 'ne':
          return !equal(a, b);
        case 'gt':
          return compare(a, b) > 0;
        case 'ge':
          return compare(a, b) >= 0;
        case 'lt':
          return compare(a, b) < 0;
        case 'le':
          return compare(a, b) <= 0;
      }
      return false;
    }
    case 'in': {
      const a = resolve(node.left, item, scope);
      return node.values.some((v) => equal(a, v.value));
    }
    case 'call': {
      const [x, y] = node.args.map((arg) => resolve(arg, item, scope));
      if (typeof x !== 'string' || typeof y !== 'string') return false;
      return node.fn === 'startswith'
        ? x.toLowerCase().startsWith(y.toLowerCase())
        : x.toLowerCase().endsWith(y.toLowerCase());
    }
    case 'any': {
      const collection: unknown = item[node.collection];
      if (!Array.isArray(collection)) return false;
      if (!node.predicate) return collection.length > 0;
      const predicate = node.predicate;
      return (collection as unknown[]).some((element) =>
        evaluate(predicate, item, { ...scope, [node.variable]: element }),
      );
    }
  }
}

export interface ODataQuery {
  select?: string[];
  filter?: FilterNode;
  filterText?: string;
  top?: number;
  /** Offset decoded from `$skiptoken`. */
  offset: number;
  count: boolean;
  orderBy?: { property: string; descending: boolean };
  /** `ConsistencyLevel: eventual` was sent (advanced queries). */
  eventual: boolean;
}

const SKIPTOKEN_PREFIX = 'RFNwdAIAAQAAA';

export function encodeSkipToken(offset: number): string {
  return SKIPTOKEN_PREFIX + Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeSkipToken(token: string): number {
  if (!token.startsWith(SKIPTOKEN_PREFIX)) throw Errors.badRequest(`Invalid value for $skiptoken: '${token}'.`);
  try {
    const parsed = JSON.parse(Buffer.from(token.slice(SKIPTOKEN_PREFIX.length), 'base64url').toString('utf8')) as {
      o?: unknown;
    };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  throw Errors.badRequest(`Invalid value for $skiptoken: '${token}'.`);
}

export const MAX_PAGE_SIZE = 999;
export const DEFAULT_PAGE_SIZE = 100;

/** Reads the system query options of a directory collection or entity request. */
export function parseQuery(params: URLSearchParams, headers: Record<string, string>): ODataQuery {
  const eventual = (headers['consistencylevel'] ?? '').toLowerCase() === 'eventual';
  const get = (name: string): string | null => params.get(name) ?? params.get(name.slice(1));
  const query: ODataQuery = { offset: 0, count: false, eventual };
  for (const key of params.keys()) {
    if (
      key.startsWith('$') &&
      !['$select', '$filter', '$top', '$skiptoken', '$count', '$orderby', '$format'].includes(key)
    ) {
      throw Errors.unsupportedQuery(`Query option '${key}' is not supported by the emulator.`);
    }
  }
  const select = get('$select');
  if (select)
    query.select = select
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const filter = get('$filter');
  if (filter) {
    query.filterText = filter;
    query.filter = parseFilter(filter);
  }
  const top = get('$top');
  if (top !== null) {
    const n = Number(top);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
      throw Errors.badRequest(
        `Invalid page size specified: '${top}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`,
      );
    }
    query.top = n;
  }
  const skip = get('$skiptoken');
  if (skip) query.offset = decodeSkipToken(skip);
  const count = get('$count');
  if (count !== null) {
    if (count !== 'true' && count !== 'false') throw Errors.badRequest(`Invalid value for $count: '${count}'.`);
    query.count = count === 'true';
  }
  const orderBy = get('$orderby');
  if (orderBy) {
    const m = /^\s*([A-Za-z]+)(\s+(asc|desc))?\s*$/i.exec(orderBy);
    if (!m) throw Errors.unsupportedQuery(`Unsupported $orderby clause: '${orderBy}'.`);
    query.orderBy = { property: m[1] as string, descending: (m[3] ?? '').toLowerCase() === 'desc' };
  }
  return query;
}
