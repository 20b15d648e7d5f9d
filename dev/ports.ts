import net from 'node:net';

/** Fails with one clear message naming every port of the stack that is already taken. */
export async function assertPortsFree(ports: { name: string; port: number }[], host = '127.0.0.1'): Promise<void> {
  const taken: string[] = [];
  for (const { name, port } of ports) {
    if (port === 0) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (!free) taken.push(`${port} (${name})`);
  }
  if (taken.length) {
    throw new Error(
      `Port${taken.length > 1 ? 's' : ''} already in use: ${taken.join(', ')}. ` +
        'Is another `npm start` running? Stop it, or free the port(s).',
    );
  }
}

/** A port that is free now (for a child process that needs its port before it starts). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
