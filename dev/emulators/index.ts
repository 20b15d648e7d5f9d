import { existsSync } from 'node:fs';
import { Directory, type TenantSeed } from './directory';
import { startEntraEmulator, type EntraEmulator } from './entra';
import { startGraphEmulator, type GraphEmulator, type GraphFaultConfig } from './graph';
import { startKeyVaultEmulator, type KeyVaultEmulatorOptions, type RunningKeyVaultEmulator } from './keyvault';

export type { TenantSeed } from './directory';
export { sampleTenants } from './directory';
export { startEntraEmulator, type EntraEmulator } from './entra';
export { startGraphEmulator, parseGraphFaultConfig, type GraphEmulator, type GraphFaultConfig } from './graph';
export { emulatorCredential, emulatorGraphClient } from './graph/sdk';

export interface EmulatorsOptions {
  tenants: TenantSeed[];
  tls: { cert: string; key: string };
  /** 0 or absent = a free port. */
  ports?: { entra?: number; graph?: number; keyVault?: number };
  host?: string;
  /** Graph's initial faults (also settable per test through `graph.faults` or `/_emulator/faults`). */
  graphFaults?: Partial<GraphFaultConfig>;
  /**
   * Key Vault emulator options; the vault's tenant defaults to the first tenant. `false` = no Key Vault.
   * tls, port and authority come from here.
   */
  keyVault?: Partial<Omit<KeyVaultEmulatorOptions, 'tls' | 'port' | 'authority'>> | false;
  /** Keep Entra's and Graph's directory (objects, secret verifiers, signing key) in this JSON file. */
  directorySnapshotFile?: string;
  /** Access token lifetime in seconds (Entra: 3599). */
  tokenLifetimeSeconds?: number;
}

export interface RunningEmulators {
  entra: EntraEmulator;
  graph: GraphEmulator;
  keyVault?: RunningKeyVaultEmulator;
  /** The state Entra and Graph share. */
  directory: Directory;
  close(): Promise<void>;
}

/**
 * Starts the Entra, Graph and Key Vault emulators over HTTPS, sharing one directory: a secret made through
 * Graph's addPassword signs in at Entra, and Key Vault verifies Entra's tokens through its JWKS.
 */
export async function startEmulators(options: EmulatorsOptions): Promise<RunningEmulators> {
  const file = options.directorySnapshotFile;
  const directory = file && existsSync(file) ? Directory.loadSnapshot(file) : new Directory();
  for (const seed of options.tenants) {
    if (!directory.tenants.has(seed.tenantId.toLowerCase())) directory.addTenant(seed);
  }
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const entra = await startEntraEmulator({
      directory,
      tls: options.tls,
      port: options.ports?.entra,
      host: options.host,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds,
    });
    started.push(entra);
    if (file) directory.saveSnapshot(file); // keeps the signing key
    const graph = await startGraphEmulator({
      entra,
      tls: options.tls,
      port: options.ports?.graph,
      host: options.host,
      faults: options.graphFaults,
      snapshotFile: file,
    });
    started.push(graph);
    let keyVault: RunningKeyVaultEmulator | undefined;
    const firstTenant = options.tenants[0]?.tenantId;
    if (options.keyVault !== false && firstTenant) {
      keyVault = await startKeyVaultEmulator({
        tenantId: firstTenant,
        ...(options.keyVault ?? {}),
        tls: options.tls,
        port: options.ports?.keyVault,
        host: options.host,
        authority: entra.url,
      });
      started.push(keyVault);
    }
    return {
      entra,
      graph,
      keyVault,
      directory,
      close: async () => {
        for (const s of [...started].reverse()) await s.close();
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
    throw err;
  }
}
