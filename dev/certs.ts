import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';
import { DATA_DIR } from './paths';

/**
 * The local stack serves its emulators over HTTPS, because MSAL refuses a non-https authority and the Graph
 * client only attaches tokens to https URLs. A development CA is made once per checkout under `.data/certs`;
 * processes that call the emulators trust it through NODE_EXTRA_CA_CERTS (set by `npm start` and `npm test`).
 */
export interface DevCertificates {
  /** PEM of the development CA: the value for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  cert: string;
  key: string;
}

export const DEFAULT_CERT_DIR = path.join(DATA_DIR, 'certs');

const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

function usable(certPath: string): boolean {
  if (!existsSync(certPath)) return false;
  const cert = new X509Certificate(readFileSync(certPath));
  return new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_MS;
}

export async function ensureDevCertificates(dir = DEFAULT_CERT_DIR): Promise<DevCertificates> {
  const caPath = path.join(dir, 'dev-ca.pem');
  const certPath = path.join(dir, 'localhost.pem');
  const keyPath = path.join(dir, 'localhost-key.pem');
  if (!(usable(caPath) && usable(certPath) && existsSync(keyPath))) {
    mkdirSync(dir, { recursive: true });
    const notAfterDate = new Date(Date.now() + 365 * 24 * 3600 * 1000);
    const ca = await generate([{ name: 'commonName', value: 'cm-entra-provisioner local development CA' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    const server = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    writeFileSync(caPath, ca.cert);
    writeFileSync(certPath, server.cert);
    writeFileSync(keyPath, server.private, { mode: 0o600 });
  }
  return { caPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

if (require.main === module) {
  ensureDevCertificates()
    .then((c) => console.log(c.caPath))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
