import type { Client } from '@microsoft/microsoft-graph-client';
import { ensureDevCertificates } from '../../dev/certs';
import { sampleTenants, type TenantSeed } from '../../dev/emulators/directory';
import { startEntraEmulator, type EntraEmulator } from '../../dev/emulators/entra';
import { startGraphEmulator, type GraphEmulator } from '../../dev/emulators/graph';
import { emulatorCredential, emulatorGraphClient } from '../../dev/emulators/graph/sdk';

/** Parsed JSON, as loosely typed as JSON.parse returns it. */
export type Json = ReturnType<typeof JSON.parse>;

/*
 * Contoso's provisioner holds Application.ReadWrite.OwnedBy + AppRoleAssignment.ReadWrite.All +
 * DelegatedPermissionGrant.ReadWrite.All; Fabrikam's holds Application.ReadWrite.All only.
 */
export const [contoso, fabrikam] = sampleTenants() as [TenantSeed, TenantSeed];
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

type EmulatorCredential = ReturnType<typeof emulatorCredential>;

export interface GraphEmulators {
  readonly entra: EntraEmulator;
  readonly graph: GraphEmulator;
  /** A client-credentials credential of a tenant's provisioner (or of another app of that tenant). */
  credentialFor: (seed: TenantSeed, secret?: string, clientId?: string) => EmulatorCredential;
  /** The Graph SDK client signed in as that credential. */
  clientFor: (seed: TenantSeed, secret?: string, clientId?: string) => Client;
}

/**
 * For a Graph emulator test file: Entra and Graph emulators for the sample tenants, started before its tests and
 * closed after them; injected faults are reset after each test.
 */
export function useGraphEmulators(): GraphEmulators {
  let started: { entra: EntraEmulator; graph: GraphEmulator } | undefined;
  beforeAll(async () => {
    const tls = await ensureDevCertificates();
    const entra = await startEntraEmulator({ tenants: [contoso, fabrikam], tls });
    started = { entra, graph: await startGraphEmulator({ entra, tls }) };
  });
  afterAll(async () => {
    await started?.graph.close();
    await started?.entra.close();
  });
  afterEach(() => {
    started?.graph.faults.reset();
  });
  const get = () => {
    if (!started) throw new Error('the emulators are not started yet (use them inside a test or hook)');
    return started;
  };
  const credentialFor = (
    seed: TenantSeed,
    secret = seed.provisioner.clientSecret,
    clientId = seed.provisioner.clientId,
  ): EmulatorCredential => emulatorCredential(get().entra.url, seed.tenantId, clientId, secret);
  return {
    get entra() {
      return get().entra;
    },
    get graph() {
      return get().graph;
    },
    credentialFor,
    clientFor: (seed, secret, clientId) => emulatorGraphClient(get().graph.url, credentialFor(seed, secret, clientId)),
  };
}

/** The Graph SDK rejects with a GraphError carrying statusCode, code, message and body (the `error` object as JSON text). */
export async function sdkFailure(
  p: Promise<unknown>,
): Promise<{ statusCode: number; code: string; message: string; body: Json }> {
  try {
    await p;
  } catch (err) {
    const e = err as { statusCode: number; code: string; message: string; body?: string };
    return {
      statusCode: e.statusCode,
      code: e.code,
      message: e.message,
      body: e.body ? JSON.parse(e.body) : undefined,
    };
  }
  throw new Error('expected the call to fail');
}
