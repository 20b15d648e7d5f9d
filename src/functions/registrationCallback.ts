import { app, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { QUEUES } from '../shared/adapters/storageNames';
import { deliverCallback } from '../shared/provisioning/callback';
import { parseCallbackMessage } from '../shared/provisioning/messages';

/** Posts a finished request's status to its callbackUrl, signed; a failure is retried by the queue. */
export async function registrationCallbackHandler(message: unknown, context: InvocationContext): Promise<void> {
  const { requestId } = parseCallbackMessage(message);
  const services = getServices();
  const result = await deliverCallback(
    {
      ...services.provisioning,
      callbackSigningSecretName: services.config.callbackSigningSecretName,
      apiBase: services.config.publicApiBase,
    },
    requestId,
  );
  context.log(`callback for ${requestId}: ${result}`);
}

app.storageQueue('registrationCallback', {
  queueName: QUEUES.callbacks,
  connection: 'AzureWebJobsStorage',
  handler: registrationCallbackHandler,
});
