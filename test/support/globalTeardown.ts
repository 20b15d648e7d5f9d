import type { RunningAzurite } from '../../dev/azurite';

export default async function globalTeardown(): Promise<void> {
  const azurite = (globalThis as { __azurite__?: RunningAzurite }).__azurite__;
  await azurite?.stop();
}
