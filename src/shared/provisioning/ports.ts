import type { Cloud, PipelineState, RegistrationRequest } from '../domain';
import type { GraphDirectory } from '../adapters/graph/directory';
import type { SecretStore } from '../adapters/keyvault/secretStore';
import type { MessageQueue } from '../adapters/queues/messageQueue';
import type { RegistrationStore } from '../adapters/tables/registrationStore';
import type { SecretExpiryIndex } from '../adapters/tables/secretExpiryIndex';

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
  /** Only `send` is used, so a function can route immediate messages through its queue output binding. */
  steps: Pick<MessageQueue<StepMessage>, 'send'>;
  callbacks: MessageQueue<CallbackMessage>;
  /** Graph in a target tenant, through the provisioner's credential for that tenant. */
  graphFor(tenantId: string, cloud: Cloud): GraphDirectory;
  secrets: SecretStore;
  /** Expiry index of managed secrets (the renewal sweep's query). */
  expiryIndex: SecretExpiryIndex;
  /** Proves an app's client secret signs in to its tenant (import's "Verify"); throws when it does not. */
  proveClientSecret: (tenantId: string, cloud: Cloud, clientId: string, secret: string) => Promise<void>;
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
  expiryIndex: SecretExpiryIndex;
  proveClientSecret: ProvisioningDeps['proveClientSecret'];
  now: Date;
}
