import type { SecretExpiryIndex } from '../adapters/tables/secretExpiryIndex';
import type { ProvisioningDeps } from '../provisioning/ports';

/** One managed secret the sweep found within the window: its request and the index buckets it was found in. */
export interface RenewalMessage {
  requestId: string;
  /** Index partitions the request was found in (a stale one is removed when the request is processed). */
  buckets?: string[];
}

export type NotificationTarget = 'callback' | 'webhook';

/** One expiry notification to deliver to one target. Ids and numbers only — never a secret. */
export interface NotificationMessage {
  requestId: string;
  keyId: string;
  threshold: number;
  target: NotificationTarget;
}

export interface Sender<T> {
  send(message: T, options?: { delaySeconds?: number }): Promise<void>;
}

/** What the sweep needs, and nothing more (the benchmarks inject their own). */
export interface SweepDeps {
  expiryIndex: Pick<SecretExpiryIndex, 'due'>;
  renewals: Sender<RenewalMessage>;
  now(): Date;
  renewBeforeDays: number;
  /** Index rows read per Table query page (default 1000, the service maximum). */
  pageSize?: number;
  /** Messages sent in parallel (default 32). */
  sendConcurrency?: number;
}

/** What the secret lifecycle use cases need (the composition root provides it). */
export interface LifecycleDeps extends ProvisioningDeps {
  renewals: Sender<RenewalMessage>;
  notifications: Sender<NotificationMessage>;
  renewBeforeDays: number;
  /** Optional webhook that gets every expiry notification, as well as the request's callbackUrl. */
  notificationWebhookUrl: string | undefined;
  callbackSigningSecretName: string;
  /** The API's public base URL (…/api), for links and the confirm call in notifications. */
  apiBase: string;
}
