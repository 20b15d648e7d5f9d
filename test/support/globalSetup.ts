import { startAzurite } from '../../dev/azurite';
import { ensureDevCertificates } from '../../dev/certs';

/**
 * Starts a private Azurite on free ports for the whole run (never the ports `npm start` uses) and publishes
 * its connection string to the test workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const certs = await ensureDevCertificates();
  if (!process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error('Run the tests with `npm test` (it sets NODE_EXTRA_CA_CERTS so the HTTPS emulators are trusted).');
  }
  const azurite = await startAzurite();
  process.env.TEST_AZURITE_CONNECTION_STRING = azurite.connectionString;
  process.env.TEST_DEV_CA = certs.caPath;
  (globalThis as { __azurite__?: typeof azurite }).__azurite__ = azurite;
}
