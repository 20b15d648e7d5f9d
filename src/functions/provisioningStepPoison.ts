import { app, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { QUEUES } from '../shared/adapters/storageNames';
import { parseStepMessage } from '../shared/provisioning/messages';
import { failPoisonedStep } from '../shared/provisioning/runStep';

/** A step message that failed every delivery: mark the step (and the request) Failed with an actionable reason. */
export async function provisioningStepPoisonHandler(message: unknown, context: InvocationContext): Promise<void> {
  const step = parseStepMessage(message);
  context.warn(`step ${step.step} of ${step.requestId} exhausted its deliveries; marking it Failed`);
  await failPoisonedStep(getServices().provisioning, step, Number(context.triggerMetadata?.dequeueCount ?? 0));
}

app.storageQueue('provisioningStepPoison', {
  queueName: `${QUEUES.steps}-poison`,
  connection: 'AzureWebJobsStorage',
  handler: provisioningStepPoisonHandler,
});
