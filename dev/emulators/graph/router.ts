import { Errors } from './errors';

export type KeyExpr = { kind: 'id'; value: string } | { kind: 'alternate'; property: string; value: string };

export interface Segment {
  name: string;
  key?: KeyExpr;
}

function splitOutsideQuotes(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let depth = 0;
  for (const c of path) {
    if (c === "'") quoted = !quoted;
    if (!quoted && c === '(') depth++;
    if (!quoted && c === ')') depth--;
    if (c === '/' && !quoted && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts.filter((p) => p.length > 0);
}

function unquote(raw: string): string {
  const m = /^'(.*)'$/s.exec(raw.trim());
  if (!m) throw Errors.badRequest(`Bad key literal: ${raw}`);
  return (m[1] as string).replace(/''/g, "'");
}

/** Splits an OData resource path into segments with their keys: `applications(uniqueName='x')/owners/$ref`. */
export function parsePath(path: string): Segment[] {
  return splitOutsideQuotes(path).map((raw) => {
    let text: string;
    try {
      text = decodeURIComponent(raw);
    } catch {
      throw Errors.badRequest(`Invalid URL segment '${raw}'.`);
    }
    const open = text.indexOf('(');
    if (open < 0 || !text.endsWith(')')) return { name: text };
    const name = text.slice(0, open);
    const inner = text.slice(open + 1, -1);
    if (inner === '') return { name: `${name}()` };
    const eq = /^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/s.exec(inner);
    if (eq) return { name, key: { kind: 'alternate', property: eq[1] as string, value: unquote(eq[2] as string) } };
    return { name, key: { kind: 'id', value: inner.startsWith("'") ? unquote(inner) : inner } };
  });
}

/** Strips Graph's optional namespace qualifier from bound actions (`microsoft.graph.addPassword`). */
export function actionName(segment: Segment | undefined): string | undefined {
  return segment?.name.replace(/^microsoft\.graph\./, '');
}
