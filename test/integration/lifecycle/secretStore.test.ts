import { randomUUID } from 'node:crypto';
import { STORED_AT_TAG } from '../../../src/shared/adapters/keyvault/secretStore';
import { useInProcessServices } from '../../support/inProcess';

const stack = useInProcessServices();

it('orders versions written within the same second as they were written; latest is the last one', async () => {
  // Key Vault's `created` has whole seconds and its version listing has no order: ties are broken by the tag.
  const secrets = stack.services.provisioning.secrets;
  const name = `order-${randomUUID()}`;
  const written: string[] = [];
  for (let i = 0; i < 8; i++) {
    const v = await secrets.put(name, `value-${i}`, {
      contentType: 'text/plain',
      expiresOn: new Date(Date.now() + 86_400_000),
      tags: { n: String(i) },
    });
    written.push(v.version);
  }
  const versions = await secrets.versions(name);
  expect(versions.map((v) => v.version)).toEqual(written);
  expect(versions.every((v) => !Number.isNaN(Date.parse(v.tags[STORED_AT_TAG] ?? '')))).toBe(true);
  expect((await secrets.latest(name))?.version).toBe(written.at(-1));
});
