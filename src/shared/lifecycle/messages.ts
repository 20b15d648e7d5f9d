import { z } from 'zod';
import type { NotificationMessage, RenewalMessage } from './ports';

const guid = z.string().regex(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i);

/** Queue payloads are validated like any other input; a malformed one is a permanent failure. */
export function parseRenewalMessage(message: unknown): RenewalMessage {
  return z
    .object({
      requestId: guid,
      buckets: z
        .array(z.string().regex(/^\d{8}$/))
        .max(50)
        .optional(),
    })
    .parse(message);
}

export function parseNotificationMessage(message: unknown): NotificationMessage {
  return z
    .object({
      requestId: guid,
      keyId: guid,
      threshold: z.union([z.literal(30), z.literal(14), z.literal(7), z.literal(1), z.literal(0)]),
      target: z.enum(['callback', 'webhook']),
    })
    .parse(message);
}
