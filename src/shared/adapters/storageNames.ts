/**
 * Names of the queues and tables the service uses. Queue names follow the Functions host's rules (lowercase,
 * 3–63 chars); poison queues are `<queue>-poison`, created by the host. Table names are alphanumeric.
 * infra/ creates the same ones.
 */
export const QUEUES = Object.freeze({
  /** One message per pipeline step to run: `{ requestId, step }`. */
  steps: 'provisioning-steps',
  /** Final-status notifications to a request's callbackUrl. */
  callbacks: 'registration-callbacks',
  /** One message per managed secret the renewal sweep found due: `{ requestId, buckets }`. */
  secretRenewals: 'secret-renewals',
  /** Secret expiry notifications to deliver: `{ requestId, keyId, threshold, target }`. */
  secretNotifications: 'secret-notifications',
});

export const TABLES = Object.freeze({
  /** One row per registration request: state, step ledger, outputs, history. */
  registrations: 'registrations',
  /** Ticket id → request id, the idempotency index of the intake API. */
  tickets: 'registrationtickets',
  /** Expiry index of managed secrets: PartitionKey = expiry day `yyyyMMdd`, RowKey = request id. */
  secretExpiry: 'secretexpiry',
  /** Append-only audit trail: PartitionKey = request id, RowKey = inverted time + uuid (newest first); who and why. */
  audit: 'registrationaudit',
});
