/**
 * ASP.NET Core-style route templates as the Functions host uses them for HTTP triggers:
 * literals, `{name}`, optional `{name?}`, defaults `{name=value}`, catch-all `{*rest}`, and inline
 * constraints `{id:guid}`, `{n:int}`, `{n:min(1)}`, `{s:alpha}`, `{s:length(3,8)}`, `{s:regex(^a+$)}`, ...
 * Matching is case-insensitive for literals; route values are URL-decoded.
 */

type Constraint = (value: string) => boolean;

interface LiteralSegment {
  kind: 'literal';
  text: string;
}
interface ParamSegment {
  kind: 'param';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue: string | undefined;
  constraints: Constraint[];
}
type Segment = LiteralSegment | ParamSegment;

export interface CompiledRoute {
  template: string;
  segments: Segment[];
  /** Sort key: literals first, then constrained, then plain parameters, catch-alls last (ASP.NET precedence). */
  precedence: number[];
}

const GUID = /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i;

function numberArgs(args: string, name: string, count: number): number[] {
  const parts = args.split(',').map((p) => Number(p.trim()));
  if (parts.length !== count || parts.some((p) => !Number.isFinite(p))) {
    throw new Error(`route constraint '${name}' expects ${count} number argument(s)`);
  }
  return parts;
}

function makeConstraint(spec: string): Constraint {
  const m = /^(\w+)(?:\((.*)\))?$/s.exec(spec);
  if (!m) throw new Error(`invalid route constraint '${spec}'`);
  const name = (m[1] ?? '').toLowerCase();
  const args = m[2] ?? '';
  const isInt = (v: string): boolean => /^-?\d+$/.test(v);
  switch (name) {
    case 'int':
      return (v) => isInt(v) && Math.abs(Number(v)) <= 2 ** 31;
    case 'long':
      return isInt;
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => GUID.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'decimal':
    case 'double':
    case 'float':
      return (v) => /^-?\d+(\.\d+)?$/.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'minlength': {
      const [n = 0] = numberArgs(args, name, 1);
      return (v) => v.length >= n;
    }
    case 'maxlength': {
      const [n = 0] = numberArgs(args, name, 1);
      return (v) => v.length <= n;
    }
    case 'length': {
      const parts = args.includes(',') ? numberArgs(args, name, 2) : numberArgs(args, name, 1);
      const [a = 0, b = a] = parts;
      return (v) => v.length >= a && v.length <= b;
    }
    case 'min': {
      const [n = 0] = numberArgs(args, name, 1);
      return (v) => isInt(v) && Number(v) >= n;
    }
    case 'max': {
      const [n = 0] = numberArgs(args, name, 1);
      return (v) => isInt(v) && Number(v) <= n;
    }
    case 'range': {
      const [a = 0, b = 0] = numberArgs(args, name, 2);
      return (v) => isInt(v) && Number(v) >= a && Number(v) <= b;
    }
    case 'regex': {
      const re = new RegExp(args, 'i');
      return (v) => re.test(v);
    }
    default:
      throw new Error(`unknown route constraint '${name}'`);
  }
}

function parseParam(body: string, template: string): ParamSegment {
  let rest = body;
  const catchAll = rest.startsWith('*');
  if (catchAll) rest = rest.replace(/^\*+/, '');
  // Split off constraints at ':' outside parentheses.
  const pieces: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of rest) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      pieces.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  pieces.push(current);
  let head = pieces.shift() ?? '';
  let optional = false;
  let defaultValue: string | undefined;
  let last = pieces.length ? (pieces[pieces.length - 1] ?? '') : head;
  const strip = (s: string): string => {
    if (s.endsWith('?')) {
      optional = true;
      return s.slice(0, -1);
    }
    const eq = s.indexOf('=');
    if (eq >= 0) {
      defaultValue = s.slice(eq + 1);
      return s.slice(0, eq);
    }
    return s;
  };
  if (pieces.length) {
    last = strip(last);
    pieces[pieces.length - 1] = last;
  } else {
    head = strip(head);
  }
  if (!/^\w+$/.test(head)) throw new Error(`invalid parameter '{${body}}' in route '${template}'`);
  return { kind: 'param', name: head, optional, catchAll, defaultValue, constraints: pieces.map(makeConstraint) };
}

export function compileRoute(template: string): CompiledRoute {
  const clean = template.replace(/^\/+|\/+$/g, '');
  const segments: Segment[] = [];
  const precedence: number[] = [];
  for (const raw of clean === '' ? [] : clean.split('/')) {
    const m = /^\{(.+)\}$/.exec(raw);
    if (m?.[1]) {
      const p = parseParam(m[1], template);
      segments.push(p);
      precedence.push(p.catchAll ? 4 : p.constraints.length ? 2 : 3);
    } else {
      if (raw.includes('{') || raw.includes('}')) {
        throw new Error(`route '${template}': complex segments like '${raw}' are not supported by the local host`);
      }
      segments.push({ kind: 'literal', text: raw.toLowerCase() });
      precedence.push(1);
    }
  }
  return { template, segments, precedence };
}

/** Compares two routes by ASP.NET precedence (more specific first). */
export function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? 5;
    const y = b.precedence[i] ?? 5;
    if (x !== y) return x - y;
  }
  return 0;
}

/** Matches a path (without the route prefix, no query) and returns the route values, or undefined. */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    if (seg.kind === 'literal') {
      if ((parts[i] ?? '').toLowerCase() !== seg.text) return undefined;
      i++;
      continue;
    }
    if (seg.catchAll) {
      const rest = parts.slice(i).map(safeDecode).join('/');
      if (rest !== '' && !seg.constraints.every((c) => c(rest))) return undefined;
      if (rest !== '') params[seg.name] = rest;
      else if (seg.defaultValue !== undefined) params[seg.name] = seg.defaultValue;
      i = parts.length;
      continue;
    }
    const part = parts[i];
    if (part === undefined || part === '') {
      if (seg.defaultValue !== undefined) params[seg.name] = seg.defaultValue;
      else if (!seg.optional) return undefined;
      continue;
    }
    const value = safeDecode(part);
    if (!seg.constraints.every((c) => c(value))) return undefined;
    params[seg.name] = value;
    i++;
  }
  return i === parts.length ? params : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
