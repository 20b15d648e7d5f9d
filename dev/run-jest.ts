import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureDevCertificates } from './certs';
import { PROJECT_ROOT } from './paths';

/**
 * `npm test`: makes sure the development CA exists, then runs jest with NODE_EXTRA_CA_CERTS so that every
 * jest worker (and every process a test spawns) trusts the HTTPS emulators. Arguments are passed to jest.
 */
async function main(): Promise<void> {
  const { caPath } = await ensureDevCertificates();
  const jestBin = path.join(PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const child = spawn(process.execPath, [jestBin, ...process.argv.slice(2)], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
