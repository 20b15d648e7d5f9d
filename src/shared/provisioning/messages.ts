import { z } from 'zod';
import type { CallbackMessage, StepMessage } from './ports';

const guid = z.string().regex(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i);

/** Queue payloads are validated like any other input; a malformed one is a permanent failure. */
export function parseStepMessage(message: unknown): StepMessage {
  return z.object({ requestId: guid, step: z.string().min(1).max(64) }).parse(message);
}

export function parseCallbackMessage(message: unknown): CallbackMessage {
  return z.object({ requestId: guid }).parse(message);
}
