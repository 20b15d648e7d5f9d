import { ensureDevCertificates } from '../../dev/certs';
import { demoTenants, PROVISIONER } from '../../dev/demoTenants';
import { startEmulators, type RunningEmulators } from '../../dev/emulators';
import { createServices, type Services } from '../../src/shared/composition';
import { loadConfig } from '../../src/shared/config';

/** The demo home tenant the in-process tests provision into. */
export const TENANT_ID = demoTenants()[0]!.tenantId;

/**
 * The app's services, built by its own composition root, in this test process: the emulators on free ports, the
 * jest run's private Azurite, the demo provisioner. `extraSettings` adds or overrides app settings.
 */
export async function startInProcessServices(
  extraSettings: Record<string, string> = {},
): Promise<{ emulators: RunningEmulators; services: Services }> {
  const certs = await ensureDevCertificates();
  const emulators = await startEmulators({
    tenants: demoTenants(),
    tls: { cert: certs.cert, key: certs.key },
    keyVault: { allowedPrincipals: [PROVISIONER.clientId], allowValueDump: false },
  });
  const config = loadConfig({
    AzureWebJobsStorage: process.env.TEST_AZURITE_CONNECTION_STRING,
    KEY_VAULT_URL: emulators.keyVault!.url,
    PROVISIONER_CLIENT_ID: PROVISIONER.clientId,
    PROVISIONER_TENANT_ID: TENANT_ID,
    PROVISIONER_CREDENTIAL: 'clientSecret',
    PROVISIONER_CLIENT_SECRET: PROVISIONER.clientSecret,
    GRAPH_ENDPOINT: emulators.graph.url,
    AZURE_AUTHORITY_HOST: emulators.entra.url,
    ...extraSettings,
  });
  return { emulators, services: createServices(config) };
}

/** A stand-in for `target` where `override(prop)` may replace a member; everything else is the real, bound one. */
export function intercept<T extends object>(target: T, override: (prop: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      const replaced = override(prop);
      if (replaced !== undefined) return replaced;
      const value = Reflect.get(t, prop, t) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** For a test file: starts the in-process services before its tests (beforeAll) and stops them after (afterAll). */
export function useInProcessServices(extraSettings: Record<string, string> = {}): {
  readonly emulators: RunningEmulators;
  readonly services: Services;
} {
  let started: { emulators: RunningEmulators; services: Services } | undefined;
  beforeAll(async () => {
    started = await startInProcessServices(extraSettings);
  }, 60_000);
  afterAll(async () => {
    await started?.emulators.close();
  });
  const get = () => {
    if (!started) throw new Error('the in-process services are not started yet (use them inside a test or hook)');
    return started;
  };
  return {
    get emulators() {
      return get().emulators;
    },
    get services() {
      return get().services;
    },
  };
}
