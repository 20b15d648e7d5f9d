/**
 * A small reader for the Bicep and YAML in infra/ and azure.yaml. Bicep cannot be compiled on these machines, so the
 * structure tests read the declarations directly: top-level statements (param, var, resource, module, output) with
 * their decorators, and object literals as key/value entries. It understands exactly what the templates use —
 * comments, strings with escapes and ${...} interpolation, nested (), [] and {} — and throws on anything it cannot
 * place, so a template it misreads fails loudly instead of passing quietly.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');

export function readRepoFile(rel: string): string {
  return readFileSync(path.join(ROOT, rel), 'utf8');
}

/** Every file under a repository folder, as repository-relative paths with forward slashes. */
export function listRepoFiles(relDir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const name of readdirSync(abs)) {
      const child = path.join(abs, name);
      if (statSync(child).isDirectory()) walk(child);
      else out.push(path.relative(ROOT, child).split(path.sep).join('/'));
    }
  };
  walk(path.join(ROOT, relDir));
  return out.sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Lexing: strings, comments, brackets.

/** Index just past the Bicep string that starts at `start` (a `'`), including ${...} interpolations. */
export function skipString(text: string, start: number): number {
  if (text.startsWith("'''", start)) {
    const end = text.indexOf("'''", start + 3);
    if (end < 0) throw new Error(`unterminated multi-line string at ${start}`);
    return end + 3;
  }
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === "'") return i + 1;
    else if (c === '$' && text[i + 1] === '{') i = findClose(text, i + 1) + 1;
    else i += 1;
  }
  throw new Error(`unterminated string at ${start}`);
}

const CLOSERS: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index of the bracket that closes the one at `open` ({, [ or (), skipping strings. */
export function findClose(text: string, open: number): number {
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      i = skipString(text, i);
      continue;
    }
    if (c in CLOSERS) stack.push(CLOSERS[c]!);
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced '${c}' at ${i}`);
      if (stack.length === 0) return i;
    }
    i += 1;
  }
  throw new Error(`no closing bracket for '${text[open]}' at ${open}`);
}

/** The text with // and /* *\/ comments blanked out (positions and line breaks kept; strings untouched). */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const end = skipString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated comment at ${i}`);
      out += text.slice(i, end + 2).replace(/[^\n]/g, ' ');
      i = end + 2;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * Splits the inside of a bracketed literal ("{ ... }" or "[ ... ]") into its items: separated by line breaks or
 * commas at the top level. Multi-line values stay whole because their line breaks are inside brackets.
 */
export function splitItems(literal: string): string[] {
  const body = literal.trim();
  if (!/^[{[]/.test(body) || findClose(body, 0) !== body.length - 1) {
    throw new Error(`not a bracketed literal: ${body.slice(0, 60)}`);
  }
  const items: string[] = [];
  let depth = 0;
  let current = '';
  let i = 1;
  while (i < body.length - 1) {
    const c = body[i]!;
    if (c === "'") {
      const end = skipString(body, i);
      current += body.slice(i, end);
      i = end;
      continue;
    }
    if (c in CLOSERS) depth += 1;
    else if (c === '}' || c === ']' || c === ')') depth -= 1;
    if (depth === 0 && (c === '\n' || c === ',')) {
      if (current.trim()) items.push(current.trim());
      current = '';
    } else current += c;
    i += 1;
  }
  if (current.trim()) items.push(current.trim());
  return items;
}

export interface Entry {
  key: string;
  value: string;
}

/** The key/value entries of an object literal "{ key: value ... }" (quoted keys unquoted). */
export function objectEntries(literal: string): Entry[] {
  return splitItems(literal).map((item) => {
    const m = /^('(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$-]*)\s*:\s*([\s\S]+)$/.exec(item);
    if (!m) throw new Error(`not an object entry: ${item.slice(0, 80)}`);
    const key = m[1]!.startsWith("'") ? m[1]!.slice(1, -1) : m[1]!;
    return { key, value: m[2]!.trim() };
  });
}

/** The value at a dotted path of an object literal ("properties.functionAppConfig.runtime.name"), if present. */
export function valueAt(literal: string, dottedPath: string): string | undefined {
  let current: string | undefined = literal;
  for (const key of dottedPath.split('.')) {
    if (current === undefined || !current.trim().startsWith('{')) return undefined;
    current = objectEntries(current).find((e) => e.key === key)?.value;
  }
  return current;
}

/** A Bicep string literal's content (no interpolation), or undefined for any other expression. */
export function stringLiteral(expr: string | undefined): string | undefined {
  if (expr === undefined) return undefined;
  const m = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(expr.trim());
  return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Declarations.

export interface Decorator {
  name: string;
  args: string;
}

export interface Declaration {
  kind: 'param' | 'var' | 'resource' | 'module' | 'output' | 'targetScope' | 'other';
  name: string;
  decorators: Decorator[];
  text: string;
}

export interface Param extends Declaration {
  type: string;
  defaultValue: string | undefined;
}

export interface ResourceDecl extends Declaration {
  /** For resources: "Microsoft.X/y"; for modules: the module path. */
  target: string;
  apiVersion: string | undefined;
  existing: boolean;
  loop: boolean;
  /** The object literal that declares it (inside the loop for `[for ...]`). */
  body: string;
}

export interface BicepFile {
  targetScope: string | undefined;
  params: Param[];
  vars: Map<string, string>;
  resources: ResourceDecl[];
  modules: ResourceDecl[];
  outputs: Map<string, { type: string; value: string }>;
}

/** The top-level statements of a Bicep file, each with the decorators written above it. */
export function declarations(source: string): Declaration[] {
  const text = stripComments(source);
  const out: Declaration[] = [];
  let decorators: Decorator[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i += 1;
      continue;
    }
    if (text[i] === '@') {
      const m = /^@(\w+)\s*\(/.exec(text.slice(i));
      if (!m) throw new Error(`unreadable decorator at ${i}`);
      const open = i + m[0].length - 1;
      const close = findClose(text, open);
      decorators.push({ name: m[1]!, args: text.slice(open + 1, close).trim() });
      i = close + 1;
      continue;
    }
    // A statement runs to the first line break outside brackets.
    let end = i;
    while (end < text.length && text[end] !== '\n') {
      const c = text[end]!;
      if (c === "'") end = skipString(text, end);
      else if (c in CLOSERS) end = findClose(text, end) + 1;
      else end += 1;
    }
    const statement = text.slice(i, end).trim();
    const kw = /^(\w+)/.exec(statement)?.[1] ?? '';
    const name = /^\w+\s+(\w+)/.exec(statement)?.[1] ?? '';
    const kind = (['param', 'var', 'resource', 'module', 'output', 'targetScope'] as const).find((k) => k === kw);
    out.push({ kind: kind ?? 'other', name, decorators, text: statement });
    decorators = [];
    i = end;
  }
  return out;
}

function resourceDecl(d: Declaration): ResourceDecl {
  const m = /^(?:resource|module)\s+(\w+)\s+'([^']+)'\s*(existing\s*)?=\s*([\s\S]+)$/.exec(d.text);
  if (!m) throw new Error(`unreadable ${d.kind}: ${d.text.slice(0, 80)}`);
  const expr = m[4]!;
  const open = expr.indexOf('{');
  if (open < 0) throw new Error(`${d.kind} ${m[1]} has no body`);
  const body = expr.slice(open, findClose(expr, open) + 1);
  const [target = '', apiVersion] = d.kind === 'resource' ? m[2]!.split('@') : [m[2]!, undefined];
  return {
    ...d,
    target,
    apiVersion,
    existing: Boolean(m[3]),
    loop: /^\[\s*for\b/.test(expr),
    body,
  };
}

export function parseBicep(source: string): BicepFile {
  const decls = declarations(source);
  const file: BicepFile = {
    targetScope: undefined,
    params: [],
    vars: new Map(),
    resources: [],
    modules: [],
    outputs: new Map(),
  };
  for (const d of decls) {
    switch (d.kind) {
      case 'targetScope':
        file.targetScope = stringLiteral(/^targetScope\s*=\s*(.+)$/.exec(d.text)?.[1]);
        break;
      case 'param': {
        const m = /^param\s+(\w+)\s+(\S+?)(?:\s*=\s*([\s\S]+))?$/.exec(d.text);
        if (!m) throw new Error(`unreadable param: ${d.text}`);
        file.params.push({ ...d, type: m[2]!, defaultValue: m[3]?.trim() });
        break;
      }
      case 'var': {
        const m = /^var\s+(\w+)\s*=\s*([\s\S]+)$/.exec(d.text);
        if (!m) throw new Error(`unreadable var: ${d.text}`);
        file.vars.set(m[1]!, m[2]!.trim());
        break;
      }
      case 'resource':
        file.resources.push(resourceDecl(d));
        break;
      case 'module':
        file.modules.push(resourceDecl(d));
        break;
      case 'output': {
        const m = /^output\s+(\w+)\s+(\w+)\s*=\s*([\s\S]+)$/.exec(d.text);
        if (!m) throw new Error(`unreadable output: ${d.text}`);
        file.outputs.set(m[1]!, { type: m[2]!, value: m[3]!.trim() });
        break;
      }
      default:
        throw new Error(`unexpected top-level statement: ${d.text.slice(0, 80)}`);
    }
  }
  return file;
}

export function readBicep(rel: string): BicepFile {
  return parseBicep(readRepoFile(rel));
}

/** The items of an array literal that are all string literals (e.g. an @allowed list or a var of names). */
export function stringItems(arrayLiteral: string): string[] {
  return splitItems(arrayLiteral).map((item) => {
    const s = stringLiteral(item);
    if (s === undefined) throw new Error(`not a string literal: ${item}`);
    return s;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// azure.yaml: nested mappings of scalars, which is all azure.yaml uses (no lists, anchors or multi-line scalars).

export type YamlValue = string | { [key: string]: YamlValue };

export function parseSimpleYaml(source: string): { [key: string]: YamlValue } {
  const root: { [key: string]: YamlValue } = {};
  const stack: { indent: number; node: { [key: string]: YamlValue } }[] = [{ indent: -1, node: root }];
  source.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '');
    if (!line.trim()) return;
    const indent = line.length - line.trimStart().length;
    const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(line.trim());
    if (!m) throw new Error(`azure.yaml line ${index + 1}: unsupported YAML: ${raw}`);
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1]!.node;
    const value = m[2]?.trim();
    if (value === undefined || value === '') {
      const child: { [key: string]: YamlValue } = {};
      parent[m[1]!] = child;
      stack.push({ indent, node: child });
    } else {
      parent[m[1]!] = value.replace(/^(['"])(.*)\1$/, '$2');
    }
  });
  return root;
}
