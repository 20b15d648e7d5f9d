import { app, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { QUEUES } from '../shared/adapters/storageNames';
import { parseStepMessage } from '../shared/provisioning/messages';
import { stepsOutput, withStepOutbox } from '../shared/provisioning/outbox';
import { runStep } from '../shared/provisioning/runStep';

/** Runs one provisioning step; the steps it unblocks leave through the steps output binding. Throwing (storage
 * down, row not yet visible) hands the message back for a retry. */
export async function provisioningStepHandler(message: unknown, context: InvocationContext): Promise<void> {
  const step = parseStepMessage(message);
  const result = await withStepOutbox(getServices().provisioning, context, (deps) =>
    runStep(deps, step, {
      info: (m) => context.log(m),
      warn: (m) => context.warn(m),
      error: (m) => context.error(m),
    }),
  );
  context.log(`step ${step.step} of ${step.requestId}: ${JSON.stringify(result)}`);
}

app.storageQueue('provisioningStep', {
  queueName: QUEUES.steps,
  connection: 'AzureWebJobsStorage',
  extraOutputs: [stepsOutput],
  handler: provisioningStepHandler,
});
