import type { Cloud, PipelineState, RegistrationRequest } from '../domain';
import type { GraphDirectory } from '../adapters/graph/directory';
import type { SecretStore } from '../adapters/keyvault/secretStore';
import type { MessageQueue } from '../adapters/queues/messageQueue';
import type { RegistrationStore } from '../adapters/tables/registrationStore';

/** A pipeline step to run: ids only, never a secret. */
export interface StepMessage {
  requestId: string;
  step: string;
}

export interface CallbackMessage {
  requestId: string;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the use cases need from the outside world (the composition root provides it). */
export interface ProvisioningDeps {
  store: RegistrationStore;
  steps: MessageQueue<StepMessage>;
  callbacks: MessageQueue<CallbackMessage>;
  /** Graph in a target tenant, through the provisioner's credential for that tenant. */
  graphFor(tenantId: string, cloud: Cloud): GraphDirectory;
  secrets: SecretStore;
  now(): Date;
  /** A random number in [0, 1) for backoff jitter. */
  random(): number;
  /** How long a worker owns a running step before another may take over (its function timeout). */
  stepLeaseMs: number;
}

/** What one step sees: the request, what earlier steps produced, and the adapters. */
export interface StepContext {
  requestId: string;
  request: RegistrationRequest;
  pipeline: PipelineState;
  graph: GraphDirectory;
  secrets: SecretStore;
  now: Date;
}
