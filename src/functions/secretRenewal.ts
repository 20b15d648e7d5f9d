import { app, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { QUEUES } from '../shared/adapters/storageNames';
import { parseRenewalMessage } from '../shared/lifecycle/messages';
import { processSecret } from '../shared/lifecycle/secrets';

/** One managed secret found by the sweep: renew when due, retire the old one, notify. Throwing retries it. */
export async function secretRenewalHandler(message: unknown, context: InvocationContext): Promise<void> {
  const m = parseRenewalMessage(message);
  const result = await processSecret(getServices().lifecycle, m, {
    info: (x) => context.log(x),
    warn: (x) => context.warn(x),
    error: (x) => context.error(x),
  });
  context.log(`secret of ${m.requestId}: ${JSON.stringify(result)}`);
}

app.storageQueue('secretRenewal', {
  queueName: QUEUES.secretRenewals,
  connection: 'AzureWebJobsStorage',
  handler: secretRenewalHandler,
});
