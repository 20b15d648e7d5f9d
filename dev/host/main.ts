import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalFunctionsHost } from './host';
import { describeError, HostLogger } from './logger';

/**
 * `node dist/dev/host/main.js [--app DIR] [--port N] [--timer-status DIR] [--enforce-keys]`
 * Runs the function app like `func start`. SIGINT/SIGTERM: stop polling, finish running invocations, exit 0.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string', default: process.cwd() },
      port: { type: 'string' },
      'timer-status': { type: 'string' },
      'enforce-keys': { type: 'boolean' },
    },
  });
  const logger = new HostLogger();
  const appDir = path.resolve(values.app ?? process.cwd());
  const host = new LocalFunctionsHost({
    appDir,
    port: values.port === undefined ? undefined : Number(values.port),
    timerStatusDir: values['timer-status'] ?? path.join(appDir, '.data', 'host', 'timers'),
    enforceAuthKeys: values['enforce-keys'],
    logger,
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: stopping the host, letting running invocations finish...`);
    host.stop().then(
      () => {
        logger.info('Host stopped.');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error(describeError(err));
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  try {
    await host.start();
  } catch (err) {
    logger.error(`The local host could not start: ${err instanceof Error ? err.message : String(err)}`);
    await host.stop().catch(() => undefined);
    process.exit(1);
  }
  // Machine-readable line for supervisors (npm start, tests).
  process.stdout.write(`LOCAL_HOST_READY ${JSON.stringify({ url: host.url, port: host.port })}\n`);
}

void main();
