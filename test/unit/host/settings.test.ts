import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  applySettingsToEnv,
  parseTimeSpan,
  readHostJson,
  readLocalSettings,
  resolveAppSettingRefs,
} from '../../../dev/host/settings';

function appDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostjson-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), JSON.stringify(content));
  return dir;
}

describe('host.json', () => {
  it('applies the Functions host defaults for queues and routes', () => {
    const h = readHostJson(appDir({ 'host.json': { version: '2.0' } }));
    expect(h.routePrefix).toBe('api');
    expect(h.queues).toEqual({
      batchSize: 16,
      newBatchThreshold: 8,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 60_000,
      messageEncoding: 'base64',
    });
  });

  it('reads the project host.json', () => {
    const h = readHostJson(path.resolve(__dirname, '../../..'));
    expect(h.queues.maxPollingIntervalMs).toBe(2000);
    expect(h.routePrefix).toBe('api');
  });

  it('rejects an invalid setting naming it', () => {
    expect(() =>
      readHostJson(appDir({ 'host.json': { version: '2.0', extensions: { queues: { batchSize: 64 } } } })),
    ).toThrow(/extensions\.queues\.batchSize/);
    expect(() =>
      readHostJson(appDir({ 'host.json': { version: '2.0', extensions: { queues: { messageEncoding: 'utf8' } } } })),
    ).toThrow(/messageEncoding/);
  });

  it('parses TimeSpans', () => {
    expect(parseTimeSpan('00:00:02', 'x')).toBe(2000);
    expect(parseTimeSpan('1.00:00:00', 'x')).toBe(86_400_000);
    expect(parseTimeSpan('00:00:00.5', 'x')).toBe(500);
    expect(() => parseTimeSpan('2s', 'maxPollingInterval')).toThrow(/maxPollingInterval/);
  });
});

describe('local.settings.json', () => {
  it('loads Values into the environment without overriding what is already set', () => {
    const dir = appDir({ 'local.settings.json': { IsEncrypted: false, Values: { A: 'from-file', B: 'from-file' } } });
    const env: NodeJS.ProcessEnv = { B: 'from-env' };
    applySettingsToEnv(readLocalSettings(dir).values, env);
    expect(env).toEqual({ A: 'from-file', B: 'from-env' });
  });

  it('does not enforce keys unless Host.EnforceAuthKeys is true', () => {
    expect(readLocalSettings(appDir({ 'local.settings.json': { Values: {} } })).enforceAuthKeys).toBe(false);
    const s = readLocalSettings(
      appDir({
        'local.settings.json': { Values: {}, Host: { EnforceAuthKeys: true, FunctionKeys: { Fn: { a: 'k' } } } },
      }),
    );
    expect(s.enforceAuthKeys).toBe(true);
    expect(s.functionKeys).toEqual({ fn: { a: 'k' } });
  });

  it('resolves %Setting% references in binding properties', () => {
    expect(resolveAppSettingRefs('%Q%-x', { Q: 'jobs' })).toBe('jobs-x');
    expect(() => resolveAppSettingRefs('%MISSING%', {})).toThrow(/MISSING/);
  });
});
