import { app, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { QUEUES } from '../shared/adapters/storageNames';
import { parseNotificationMessage } from '../shared/lifecycle/messages';
import { deliverSecretNotification } from '../shared/lifecycle/notify';

/** Delivers one signed secret expiry notification; a failure is retried by the queue. */
export async function secretNotificationHandler(message: unknown, context: InvocationContext): Promise<void> {
  const m = parseNotificationMessage(message);
  const result = await deliverSecretNotification(getServices().lifecycle, m);
  context.log(`secret notification ${m.requestId}:${m.threshold}:${m.target}: ${result}`);
}

app.storageQueue('secretNotification', {
  queueName: QUEUES.secretNotifications,
  connection: 'AzureWebJobsStorage',
  handler: secretNotificationHandler,
});
