import { app, InvocationContext, Timer } from '@azure/functions';
import { getServices } from '../shared/composition';
import { sweepDueSecrets } from '../shared/lifecycle/sweep';

/** The renewal sweep: finds every managed secret within the window in the expiry index and queues one message each. */
export async function secretRenewalSweepHandler(timer: Timer, context: InvocationContext): Promise<void> {
  const result = await sweepDueSecrets(getServices().lifecycle);
  context.log(
    `secret renewal sweep${timer.isPastDue ? ' (past due)' : ''}: up to ${result.cutoff}, ${result.indexRows} index rows, ${result.enqueued} queued`,
  );
}

app.timer('secretRenewalSweep', {
  schedule: '%RENEWAL_SCHEDULE%',
  handler: secretRenewalSweepHandler,
});
