import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of host.json the local host honours, with the Functions host's defaults. */
export interface HostJson {
  routePrefix: string;
  queues: QueueOptions;
  functionTimeoutMs: number | undefined;
}

export interface QueueOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  /** Delay before a failed message is visible again. */
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: 'base64' | 'none';
}

export interface LocalSettings {
  values: Record<string, string>;
  /** Core Tools skips key checks; the local host does too unless this is true. */
  enforceAuthKeys: boolean;
  port: number | undefined;
  masterKey: string | undefined;
  hostKeys: Record<string, string>;
  functionKeys: Record<string, Record<string, string>>;
}

/** Parses a host.json TimeSpan ("hh:mm:ss", "d.hh:mm:ss", optional ".fff") into milliseconds. */
export function parseTimeSpan(value: string, setting: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!m) throw new Error(`host.json: '${setting}' must be a TimeSpan like 00:00:30, got '${value}'`);
  const [, d, h, min, s, frac] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return ((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000 + ms;
}

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

function obj(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function num(value: unknown, fallback: number, setting: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`host.json: '${setting}' must be an integer between ${min} and ${max}`);
  }
  return value;
}

function span(value: unknown, fallbackMs: number, setting: string): number {
  if (value === undefined) return fallbackMs;
  if (typeof value !== 'string') throw new Error(`host.json: '${setting}' must be a TimeSpan string`);
  return parseTimeSpan(value, setting);
}

/** Reads host.json with the Functions host defaults (queues: batchSize 16, maxDequeueCount 5, ...). */
export function readHostJson(appDir: string): HostJson {
  const file = path.join(appDir, 'host.json');
  if (!existsSync(file)) throw new Error(`${file} not found: is '${appDir}' a function app folder?`);
  const root = obj(readJsonFile(file));
  if (root.version !== '2.0') throw new Error(`host.json: 'version' must be "2.0"`);
  const extensions = obj(root.extensions);
  const http = obj(extensions.http);
  const q = obj(extensions.queues);
  const batchSize = num(q.batchSize, 16, 'extensions.queues.batchSize', 1, 32);
  const encoding = q.messageEncoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'none') {
    throw new Error(`host.json: 'extensions.queues.messageEncoding' must be "base64" or "none"`);
  }
  const routePrefix = http.routePrefix ?? 'api';
  if (typeof routePrefix !== 'string') throw new Error(`host.json: 'extensions.http.routePrefix' must be a string`);
  return {
    routePrefix: routePrefix.replace(/^\/+|\/+$/g, ''),
    queues: {
      batchSize,
      newBatchThreshold: num(q.newBatchThreshold, Math.floor(batchSize / 2), 'extensions.queues.newBatchThreshold'),
      maxDequeueCount: num(q.maxDequeueCount, 5, 'extensions.queues.maxDequeueCount', 1),
      visibilityTimeoutMs: span(q.visibilityTimeout, 0, 'extensions.queues.visibilityTimeout'),
      maxPollingIntervalMs: span(q.maxPollingInterval, 60_000, 'extensions.queues.maxPollingInterval'),
      messageEncoding: encoding,
    },
    functionTimeoutMs:
      root.functionTimeout === undefined || root.functionTimeout === '-1'
        ? undefined
        : span(root.functionTimeout, 0, 'functionTimeout'),
  };
}

/**
 * Reads local.settings.json like Core Tools: `Values` become app settings, `Host.LocalHttpPort` the port.
 * The local host also reads `Host.EnforceAuthKeys`, `Host.MasterKey`, `Host.HostKeys` and `Host.FunctionKeys`.
 * A missing file is allowed (empty settings).
 */
export function readLocalSettings(appDir: string): LocalSettings {
  const file = path.join(appDir, 'local.settings.json');
  const root = existsSync(file) ? obj(readJsonFile(file)) : {};
  if (root.IsEncrypted === true) throw new Error(`${file}: encrypted settings are not supported by the local host`);
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(root.Values))) {
    if (typeof v !== 'string') throw new Error(`${file}: Values.${k} must be a string`);
    values[k] = v;
  }
  const host = obj(root.Host);
  const strings = (o: unknown, where: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(o))) {
      if (typeof v !== 'string') throw new Error(`${file}: ${where}.${k} must be a string`);
      out[k] = v;
    }
    return out;
  };
  const functionKeys: Record<string, Record<string, string>> = {};
  for (const [fn, keys] of Object.entries(obj(host.FunctionKeys))) {
    functionKeys[fn.toLowerCase()] = strings(keys, `Host.FunctionKeys.${fn}`);
  }
  const port = host.LocalHttpPort;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port))) {
    throw new Error(`${file}: Host.LocalHttpPort must be an integer`);
  }
  return {
    values,
    enforceAuthKeys: host.EnforceAuthKeys === true,
    port,
    masterKey: typeof host.MasterKey === 'string' ? host.MasterKey : undefined,
    hostKeys: strings(host.HostKeys, 'Host.HostKeys'),
    functionKeys,
  };
}

/** Copies `Values` into the environment; variables already set in the environment win, as with Core Tools. */
export function applySettingsToEnv(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): void {
  for (const [k, v] of Object.entries(values)) {
    if (env[k] === undefined) env[k] = v;
  }
}

/** Resolves `%SettingName%` references in binding properties, as the Functions host does. */
export function resolveAppSettingRefs(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new Error(`app setting '${name}' referenced as %${name}% is not set`);
    return v;
  });
}
