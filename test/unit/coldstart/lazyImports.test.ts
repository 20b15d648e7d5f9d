import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../dev/paths';
import { functionFiles, sample } from '../../../scripts/bench/coldstart';

/**
 * Cold start (docs/benchmarks.md): the Functions worker requires every function file before the first invocation,
 * so the Azure SDKs and jose load on first use (src/shared/composition.ts and the adapters), and each first
 * invocation loads only what it uses. Each case is a fresh `node` process running the cold-start benchmark's child
 * (scripts/bench/coldstart-child.ts) on the built app (dist/, as `npm test` builds it), which reports every package
 * in require.cache. Nothing connects anywhere.
 */
const SDKS = [
  '@azure/data-tables',
  '@azure/storage-queue',
  '@azure/identity',
  '@azure/msal-node',
  '@azure/keyvault-secrets',
  '@microsoft/microsoft-graph-client',
  'jose',
];

function loadedSdks(args: string[]): string[] {
  const child = path.join(PROJECT_ROOT, 'dist', 'scripts', 'bench', 'coldstart-child.js');
  if (!existsSync(child)) throw new Error(`${child} is missing: run npm run build first`);
  const { packages } = sample([...args, ...functionFiles()]);
  if (!packages?.includes('@azure/functions')) throw new Error('the child did not load the function files');
  return SDKS.filter((p) => packages.includes(p));
}

describe('cold start: SDKs load on first use', () => {
  it('loading every function file (what the worker does at start) loads none of them', () => {
    expect(functionFiles().length).toBeGreaterThan(10);
    expect(loadedSdks([])).toEqual([]);
  });

  it('an intake-first worker loads Tables and jose, not Storage Queues (output binding), Key Vault, Graph or identity', () => {
    expect(loadedSdks(['--entry=intake', '--settings=local'])).toEqual(['@azure/data-tables', 'jose']);
  });

  it('with identity-based storage (as deployed), intake-first adds identity for storage, still no Key Vault or Graph', () => {
    expect(loadedSdks(['--entry=intake', '--settings=azure'])).toEqual([
      '@azure/data-tables',
      '@azure/identity',
      '@azure/msal-node',
      'jose',
    ]);
  });

  it('a queue-first worker (provisioningStep) loads Tables, identity, Key Vault and Graph, not jose or Storage Queues', () => {
    // Its next steps leave through the queue output binding; the SDK sends only delayed retries and callbacks.
    expect(loadedSdks(['--entry=step', '--settings=local'])).toEqual([
      '@azure/data-tables',
      '@azure/identity',
      '@azure/msal-node',
      '@azure/keyvault-secrets',
      '@microsoft/microsoft-graph-client',
    ]);
  });
});
