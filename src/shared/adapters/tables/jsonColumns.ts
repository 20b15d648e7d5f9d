/**
 * Table Storage keeps a string property up to 64 KiB (32K UTF-16 characters). Large JSON documents are split over
 * `name`, `name_1`, `name_2`, … with the count in `name_parts`.
 */
const CHUNK = 30_000;

export function writeJsonColumns(name: string, value: unknown): Record<string, string | number> {
  const json = JSON.stringify(value);
  const out: Record<string, string | number> = {};
  const parts = Math.max(1, Math.ceil(json.length / CHUNK));
  for (let i = 0; i < parts; i++) out[i === 0 ? name : `${name}_${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
  out[`${name}_parts`] = parts;
  return out;
}

export function readJsonColumns<T>(entity: Record<string, unknown>, name: string): T | undefined {
  const first = entity[name];
  if (typeof first !== 'string') return undefined;
  const parts = typeof entity[`${name}_parts`] === 'number' ? (entity[`${name}_parts`] as number) : 1;
  let json = first;
  for (let i = 1; i < parts; i++) {
    const part = entity[`${name}_${i}`];
    if (typeof part !== 'string') throw new Error(`column ${name}_${i} is missing`);
    json += part;
  }
  return JSON.parse(json) as T;
}
