/**
 * Run in a fresh process by coldstart.ts: loads the given modules (with `@azure/functions-core` installed first, as
 * the Functions worker does) and prints the time and memory after load as one JSON line.
 */
import path from 'node:path';
import { CoreRegistry, installCoreModule } from '../../dev/host/core-api';

const t0 = process.hrtime.bigint();
installCoreModule(new CoreRegistry(() => undefined).createModule());
const files = process.argv.slice(2);
for (const f of files) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(f.startsWith('.') || path.isAbsolute(f) ? path.resolve(f) : f);
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const m = process.memoryUsage();
const modules = Object.keys(require.cache).length;
process.stdout.write(JSON.stringify({ ms, rss: m.rss, heapUsed: m.heapUsed, modules }) + '\n');
