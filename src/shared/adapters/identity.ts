import {
  ClientAssertionCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  TokenCredential,
} from '@azure/identity';
import type { AppConfig } from '../config';
import type { Cloud } from '../domain';

/** The audience a managed identity's token must carry to be exchanged through a federated identity credential. */
const TOKEN_EXCHANGE_AUDIENCE: Record<string, string> = {
  AzurePublicCloud: 'api://AzureADTokenExchange',
  AzureUSGovernmentCloud: 'api://AzureADTokenExchangeUSGov',
  AzureUSGovernmentDoD: 'api://AzureADTokenExchangeUSGov',
  AzureChinaCloud: 'api://AzureADTokenExchangeChina',
};

/**
 * Credentials of the provisioner, one per tenant and cloud, created once per worker. In Azure the provisioner is a
 * multi-tenant app that trusts the Function App's user-assigned managed identity through a federated identity
 * credential (no secret anywhere); locally it uses a client secret against the Entra emulator.
 */
export class ProvisionerCredentials {
  readonly #byTenant = new Map<string, TokenCredential>();
  #managedIdentity: ManagedIdentityCredential | undefined;

  constructor(private readonly config: AppConfig) {}

  #authority(cloud: Cloud): { authorityHost: string; disableInstanceDiscovery: boolean } {
    const override = this.config.authorityHost;
    // Against a local authority MSAL must not ask the public cloud's instance discovery endpoint.
    return { authorityHost: override ?? cloud.authorityHost, disableInstanceDiscovery: override !== undefined };
  }

  #mi(clientId: string): ManagedIdentityCredential {
    this.#managedIdentity ??= new ManagedIdentityCredential({ clientId });
    return this.#managedIdentity;
  }

  /**
   * The Import dialog's "Verify": obtains a client-credentials token for `tenantId` with an app's client secret,
   * proving the secret signs in. Throws the authority's error (AADSTS…) when it does not; the secret is not kept.
   */
  async proveClientSecret(tenantId: string, cloud: Cloud, clientId: string, secret: string): Promise<void> {
    const credential = new ClientSecretCredential(tenantId, clientId, secret, this.#authority(cloud));
    const token = await credential.getToken(cloud.graphScope);
    if (!token?.token) throw new Error('the authority returned no token');
  }

  /** The credential that acts in `tenantId` (a target tenant, where the provisioner has a service principal). */
  forTenant(tenantId: string, cloud: Cloud): TokenCredential {
    const key = `${cloud.name}|${tenantId.toLowerCase()}`;
    let credential = this.#byTenant.get(key);
    if (!credential) {
      const { clientId, credential: kind } = this.config.provisioner;
      const options = this.#authority(cloud);
      if (kind.kind === 'clientSecret') {
        credential = new ClientSecretCredential(tenantId, clientId, kind.clientSecret, options);
      } else {
        const mi = this.#mi(kind.managedIdentityClientId);
        const audience = `${TOKEN_EXCHANGE_AUDIENCE[cloud.name] ?? TOKEN_EXCHANGE_AUDIENCE.AzurePublicCloud}/.default`;
        credential = new ClientAssertionCredential(
          tenantId,
          clientId,
          async () => {
            const token = await mi.getToken(audience);
            if (!token) throw new Error('the managed identity returned no token for the federation audience');
            return token.token;
          },
          options,
        );
      }
      this.#byTenant.set(key, credential);
    }
    return credential;
  }

  /** The credential for the provisioner's own Key Vault, in its home tenant. */
  forKeyVault(homeCloud: Cloud): TokenCredential {
    const kind = this.config.provisioner.credential;
    if (kind.kind === 'managedIdentityFederation') return this.#mi(kind.managedIdentityClientId);
    return this.forTenant(this.config.provisioner.tenantId, homeCloud);
  }
}
