import { app, InvocationContext, output } from '@azure/functions';
import { getServices } from '../shared/composition';
import { QUEUES } from '../shared/adapters/storageNames';
import { parseStepMessage } from '../shared/provisioning/messages';
import type { StepMessage } from '../shared/provisioning/ports';
import { runStep } from '../shared/provisioning/runStep';

/**
 * The steps a finished step unblocks leave through this queue output binding rather than the storage SDK: the
 * Functions host writes them when the invocation succeeded and wakes its own listener of the queue at once, so a
 * pipeline hop does not wait for the listener's idle backoff (up to host.json maxPollingInterval). Delayed
 * messages (a retry's backoff) need a visibility delay, which bindings cannot set: they still go through the SDK.
 */
const nextSteps = output.storageQueue({ queueName: QUEUES.steps, connection: 'AzureWebJobsStorage' });

/** Runs one provisioning step. Throwing (storage down, row not yet visible) hands the message back for a retry. */
export async function provisioningStepHandler(message: unknown, context: InvocationContext): Promise<void> {
  const step = parseStepMessage(message);
  const deps = getServices().provisioning;
  const outbox: StepMessage[] = [];
  const result = await runStep(
    {
      ...deps,
      steps: {
        send: (m, options) => {
          if (options?.delaySeconds) return deps.steps.send(m, options);
          outbox.push(m);
          return Promise.resolve();
        },
      },
    },
    step,
    {
      info: (m) => context.log(m),
      warn: (m) => context.warn(m),
      error: (m) => context.error(m),
    },
  );
  if (outbox.length > 0) context.extraOutputs.set(nextSteps, outbox);
  context.log(`step ${step.step} of ${step.requestId}: ${JSON.stringify(result)}`);
}

app.storageQueue('provisioningStep', {
  queueName: QUEUES.steps,
  connection: 'AzureWebJobsStorage',
  extraOutputs: [nextSteps],
  handler: provisioningStepHandler,
});
