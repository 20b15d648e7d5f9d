import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './paths';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** 0 = a free port (tests); the usual 10000/10001/10002 for `npm start`. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Persist to this folder instead of memory. */
  location?: string;
}

export interface RunningAzurite {
  blobPort: number;
  queuePort: number;
  tablePort: number;
  connectionString: string;
  pid: number;
  stop(): Promise<void>;
}

export function azuriteConnectionString(ports: { blobPort: number; queuePort: number; tablePort: number }): string {
  const host = 'http://127.0.0.1';
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${host}:${ports.blobPort}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=${host}:${ports.queuePort}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=${host}:${ports.tablePort}/${AZURITE_ACCOUNT}`,
  ].join(';');
}

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/;

/**
 * Spawns Azurite from node_modules (requiring it in-process is not supported), always with
 * --disableTelemetry, and resolves once all three services listen.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const bin = path.join(PROJECT_ROOT, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
  const args = [
    bin,
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(options.blobPort ?? 0),
    '--queuePort',
    String(options.queuePort ?? 0),
    '--tablePort',
    String(options.tablePort ?? 0),
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports: Record<string, number> = {};
  let output = '';

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within 30 s:\n${output}`)), 30_000);
    function fail(err: Error): void {
      clearTimeout(timer);
      child.kill();
      reject(err);
    }
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const m = LISTENING.exec(line);
        if (m?.[1] && m[2]) ports[m[1]] = Number(m[2]);
      }
      if (/EADDRINUSE/.test(output)) {
        const port = /:(\d+)\s*$/m.exec(output.split('EADDRINUSE')[1] ?? '')?.[1];
        fail(new Error(`Azurite: port ${port ?? '(one of 10000-10002)'} is already in use; stop what uses it`));
      }
      if (ports.Blob && ports.Queue && ports.Table) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => fail(new Error(`Azurite exited with code ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');

  const result = { blobPort: ports.Blob!, queuePort: ports.Queue!, tablePort: ports.Table! };
  return {
    ...result,
    pid: child.pid!,
    connectionString: azuriteConnectionString(result),
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
