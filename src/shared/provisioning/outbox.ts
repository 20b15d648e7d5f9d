import { output, type InvocationContext } from '@azure/functions';
import { QUEUES } from '../adapters/storageNames';
import type { ProvisioningDeps, StepMessage } from './ports';

/**
 * The steps queue as an output binding. A function that starts or continues a pipeline sends the steps it makes
 * runnable through it rather than through the storage SDK: the Functions host writes the messages once the
 * invocation succeeded and wakes its own listener of that queue at once, so a hop does not wait for the listener's
 * idle backoff (up to host.json maxPollingInterval). Delayed messages (a retry's backoff, a look after a lease)
 * need a visibility delay, which bindings cannot set: they still go through the SDK.
 */
export const stepsOutput = output.storageQueue({ queueName: QUEUES.steps, connection: 'AzureWebJobsStorage' });

/** Runs `use` with provisioning deps whose undelayed step messages go to the invocation's `stepsOutput`. */
export async function withStepOutbox<T>(
  deps: ProvisioningDeps,
  context: InvocationContext,
  use: (deps: ProvisioningDeps) => Promise<T>,
): Promise<T> {
  const outbox: StepMessage[] = [];
  const result = await use({
    ...deps,
    steps: {
      send: (m, options) => {
        if (options?.delaySeconds) return deps.steps.send(m, options);
        outbox.push(m);
        return Promise.resolve();
      },
    },
  });
  if (outbox.length > 0) context.extraOutputs.set(stepsOutput, outbox);
  return result;
}
