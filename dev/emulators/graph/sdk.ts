import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';

/**
 * How production code's SDK clients connect to the emulators unchanged: `ClientSecretCredential` with the Entra
 * emulator as authority host (instance discovery off, as for any non-Microsoft authority), and the Graph client
 * with the emulator's origin as base URL (the client adds `/v1.0`) and its host in `customHosts` (the client only sends tokens to Graph hosts).
 */
export function emulatorCredential(
  entraUrl: string,
  tenantId: string,
  clientId: string,
  clientSecret: string,
): ClientSecretCredential {
  return new ClientSecretCredential(tenantId, clientId, clientSecret, {
    authorityHost: entraUrl,
    disableInstanceDiscovery: true,
  });
}

export function emulatorGraphClient(
  graphUrl: string,
  credential: ClientSecretCredential,
  scope = 'https://graph.microsoft.com/.default',
): Client {
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [scope] }),
    // the client appends the version itself: baseUrl is the host, as 'https://graph.microsoft.com' in production
    baseUrl: graphUrl,
    defaultVersion: 'v1.0',
    customHosts: new Set([new URL(graphUrl).hostname]),
  });
}
