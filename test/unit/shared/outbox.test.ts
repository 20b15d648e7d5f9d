import { InvocationContext } from '@azure/functions';
import type { ProvisioningDeps, StepMessage } from '../../../src/shared/provisioning/ports';
import { stepsOutput, withStepOutbox } from '../../../src/shared/provisioning/outbox';

const requestId = '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e';

function depsWithQueue(): { deps: ProvisioningDeps; sent: { m: StepMessage; delaySeconds?: number }[] } {
  const sent: { m: StepMessage; delaySeconds?: number }[] = [];
  const deps = {
    steps: {
      send: (m: StepMessage, options?: { delaySeconds?: number }) =>
        Promise.resolve(
          void sent.push({ m, ...(options?.delaySeconds ? { delaySeconds: options.delaySeconds } : {}) }),
        ),
    },
  } as unknown as ProvisioningDeps;
  return { deps, sent };
}

describe('withStepOutbox', () => {
  it('hands undelayed step messages to the steps output binding and sends delayed ones through the queue client', async () => {
    const { deps, sent } = depsWithQueue();
    const context = new InvocationContext();
    const result = await withStepOutbox(deps, context, async (d) => {
      await d.steps.send({ requestId, step: 'serverApp' });
      await d.steps.send({ requestId, step: 'serverSecret' }, { delaySeconds: 0 });
      await d.steps.send({ requestId, step: 'verify' }, { delaySeconds: 30 });
      return 'done';
    });
    expect(result).toBe('done');
    expect(context.extraOutputs.get(stepsOutput)).toEqual([
      { requestId, step: 'serverApp' },
      { requestId, step: 'serverSecret' },
    ]);
    expect(sent).toEqual([{ m: { requestId, step: 'verify' }, delaySeconds: 30 }]);
  });

  it('sets no output when nothing was queued, and none when the use case throws', async () => {
    const { deps } = depsWithQueue();
    const quiet = new InvocationContext();
    await withStepOutbox(deps, quiet, () => Promise.resolve());
    expect(quiet.extraOutputs.get(stepsOutput)).toBeUndefined();

    const failing = new InvocationContext();
    await expect(
      withStepOutbox(deps, failing, async (d) => {
        await d.steps.send({ requestId, step: 'serverApp' });
        throw new Error('storage down');
      }),
    ).rejects.toThrow('storage down');
    expect(failing.extraOutputs.get(stepsOutput)).toBeUndefined();
  });
});
