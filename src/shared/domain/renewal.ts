/**
 * The secret lifecycle, pure: which managed secrets are due, what state each is in, which expiry notification is
 * next (30/14/7/1 days and expired, each once), the expiry-index buckets the renewal sweep queries, and the
 * PowerShell that takes a renewed secret from Key Vault into Configuration Manager (which does not warn about
 * imported apps' expiring secrets: every app this service makes is imported into Configuration Manager).
 */
import { cloudForKeyVaultHost } from './clouds';
import { parseKeyVaultSecretId, psQuote } from './handoff';
import { requireGuid } from './naming';
import { replaceLineBreakingCharacters } from './registrationRequest';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A password credential this service manages on a server app (never its value). */
export interface ManagedCredential {
  readonly keyId: string;
  readonly expiresOn: string;
  /** Versioned Key Vault secret id holding this credential's value. */
  readonly keyVaultSecretId: string;
  readonly createdAt: string;
}

export interface SecretHistoryEntry {
  readonly at: string;
  readonly event:
    'tracked' | 'renewed' | 'confirmed' | 'previousRemoved' | 'renewalFailed' | 'notified' | 'decommissioned';
  readonly keyId?: string;
  readonly detail?: string;
}

/**
 * The lifecycle state of a request's managed server-app secret. `current` is the newest credential (the one in
 * Key Vault's latest version); `previous` is the one Configuration Manager may still use after a renewal, live
 * until the admin confirms Configuration Manager was updated or until its own expiry. Never more than these two.
 */
export interface ManagedSecretState {
  readonly serverObjectId: string;
  readonly serverAppId: string;
  readonly current: ManagedCredential;
  readonly previous?: ManagedCredential & { readonly confirmedAt?: string };
  /** A renewal in progress: who holds it and until when (a worker that died loses it). */
  readonly lease?: { readonly owner: string; readonly until: string };
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
  /** Notifications sent, as `{keyId}:{threshold}` of the credential Configuration Manager uses. */
  readonly notified: readonly string[];
  readonly history: readonly SecretHistoryEntry[];
}

export const SECRET_STATES = ['valid', 'due', 'renewed-awaiting-confirmation', 'expired'] as const;
export type SecretState = (typeof SECRET_STATES)[number];

/** Notification thresholds in days before expiry; 0 = expired. */
export const NOTIFICATION_THRESHOLDS = [30, 14, 7, 1, 0] as const;
export type NotificationThreshold = (typeof NOTIFICATION_THRESHOLDS)[number];

export const DEFAULT_RENEW_BEFORE_DAYS = 30;

/** `yyyyMMdd` (UTC) — the expiry index's partition key: lexical order is date order. */
export function expiryBucket(at: Date | string): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date: ${String(at)}`);
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}

/** The last bucket a sweep at `now` must look at: everything expiring within `days` (whole UTC days). */
export function sweepCutoffBucket(now: Date, days: number): string {
  return expiryBucket(new Date(now.getTime() + days * DAY_MS));
}

/** How far ahead the sweep looks: the renewal window or the first notification threshold, whichever is longer. */
export function sweepWindowDays(renewBeforeDays: number): number {
  return Math.max(renewBeforeDays, NOTIFICATION_THRESHOLDS[0]);
}

/** The credential Configuration Manager uses: the previous one until it is confirmed replaced, else the current. */
export function governingCredential(s: ManagedSecretState): ManagedCredential {
  return s.previous && !s.previous.confirmedAt ? s.previous : s.current;
}

/** Whole days (rounded up) from now until `expiresOn`; ≤ 0 once expired. */
export function daysUntil(expiresOn: string, now: Date): number {
  return Math.ceil((Date.parse(expiresOn) - now.getTime()) / DAY_MS);
}

/** Whether the current credential is due for renewal (expires within `renewBeforeDays`). */
export function isRenewalDue(s: ManagedSecretState, now: Date, renewBeforeDays: number): boolean {
  return Date.parse(s.current.expiresOn) - now.getTime() <= renewBeforeDays * DAY_MS;
}

/** Whether the previous credential may be removed now: confirmed replaced in Configuration Manager, or expired. */
export function previousRemovable(s: ManagedSecretState, now: Date): boolean {
  return s.previous !== undefined && (!!s.previous.confirmedAt || Date.parse(s.previous.expiresOn) <= now.getTime());
}

export function secretState(s: ManagedSecretState, now: Date, renewBeforeDays: number): SecretState {
  const governing = governingCredential(s);
  if (Date.parse(governing.expiresOn) <= now.getTime()) return 'expired';
  if (s.previous && !s.previous.confirmedAt) return 'renewed-awaiting-confirmation';
  return isRenewalDue(s, now, renewBeforeDays) ? 'due' : 'valid';
}

/** What the admin has to do, in one sentence, for each state. */
export function secretAction(state: SecretState, requestId: string): string {
  switch (state) {
    case 'valid':
      return 'Nothing: the secret is renewed automatically before it expires.';
    case 'due':
      return `Renewal is due and runs automatically; to force it now, POST /api/registrations/${requestId}/secret/renew.`;
    case 'renewed-awaiting-confirmation':
      return (
        'A new secret is in Key Vault: run the PowerShell (or Administration > Cloud Services > Microsoft Entra ' +
        'tenants > Renew Secret Key) to update Configuration Manager, then POST ' +
        `/api/registrations/${requestId}/secret/confirm so the old secret is removed.`
      );
    case 'expired':
      return (
        'The secret Configuration Manager uses has expired and the cloud management gateway cannot authenticate: ' +
        `update Configuration Manager with the secret in Key Vault now (POST /api/registrations/${requestId}/secret/renew ` +
        'first if no new secret was made).'
      );
  }
}

/**
 * The notification due now for the credential Configuration Manager uses, or undefined: the most urgent threshold
 * reached and not yet sent (less urgent ones that were missed are not sent afterwards).
 */
export function dueNotification(
  s: ManagedSecretState,
  now: Date,
): { threshold: NotificationThreshold; keyId: string; mark: string; skip: string[] } | undefined {
  const governing = governingCredential(s);
  const days = daysUntil(governing.expiresOn, now);
  const reached = NOTIFICATION_THRESHOLDS.filter((t) => (t === 0 ? days <= 0 : days <= t));
  const mostUrgent = reached.at(-1);
  if (mostUrgent === undefined) return undefined;
  const mark = notificationMark(governing.keyId, mostUrgent);
  if (s.notified.includes(mark)) return undefined;
  const skip = reached.slice(0, -1).map((t) => notificationMark(governing.keyId, t));
  return { threshold: mostUrgent, keyId: governing.keyId, mark, skip };
}

export function notificationMark(keyId: string, threshold: NotificationThreshold): string {
  return `${keyId}:${threshold}`;
}

/** The first lifecycle state of a secret that the provisioning pipeline stored. */
export function initialSecretState(input: {
  serverObjectId: string;
  serverAppId: string;
  keyId: string;
  expiresOn: string;
  keyVaultSecretId: string;
  now: Date;
}): ManagedSecretState {
  const at = input.now.toISOString();
  return {
    serverObjectId: input.serverObjectId,
    serverAppId: input.serverAppId,
    current: {
      keyId: input.keyId,
      expiresOn: new Date(input.expiresOn).toISOString(),
      keyVaultSecretId: input.keyVaultSecretId,
      createdAt: at,
    },
    notified: [],
    history: [{ at, event: 'tracked', keyId: input.keyId }],
  };
}

/** History is kept bounded in the row. */
export const SECRET_HISTORY_LIMIT = 100;

export function withHistory(s: ManagedSecretState, entry: SecretHistoryEntry): ManagedSecretState {
  return { ...s, history: [...s.history, entry].slice(-SECRET_HISTORY_LIMIT) };
}

export interface RenewalScriptInput {
  readonly ticketId: string;
  readonly tenantId: string;
  readonly serverAppName: string;
  readonly serverAppId: string;
  /** Versioned Key Vault id of the new secret. */
  readonly keyVaultSecretId: string;
  /** The new credential's endDateTime. */
  readonly secretKeyExpiry: string;
  /** The confirm endpoint to call once Configuration Manager has the new secret. */
  readonly confirmUrl: string;
}

/**
 * PowerShell that reads the renewed secret from Key Vault (a SecureString, never printed) and its expiry, then walks
 * the admin through Configuration Manager's "Renew Secret Key" for the imported server app: the ConfigurationManager
 * module has no documented cmdlet that changes an existing app's secret key, so the value is put on the clipboard
 * for the dialog and cleared right after. It ends with the confirm call to make once that is done.
 */
export function buildRenewalScript(s: RenewalScriptInput): string {
  const q = psQuote;
  const kv = parseKeyVaultSecretId(s.keyVaultSecretId);
  const vaultCloud = cloudForKeyVaultHost(kv.vaultHost);
  const expiry = new Date(s.secretKeyExpiry).toISOString();
  const lines = [
    `# Generated by cm-entra-provisioner for ticket ${q(replaceLineBreakingCharacters(s.ticketId))}: renew the secret key of server app ${q(replaceLineBreakingCharacters(s.serverAppName))}.`,
    '#Requires -Modules Az.Accounts, Az.KeyVault',
    "$ErrorActionPreference = 'Stop'",
    `if (-not (Get-AzContext)) { Connect-AzAccount -Environment ${q(vaultCloud?.azPowerShellEnvironment ?? 'AzureCloud')} | Out-Null }`,
    `$secret = Get-AzKeyVaultSecret -VaultName ${q(kv.vaultName)} -Name ${q(kv.secretName)} -Version ${q(kv.version)}`,
    `$secretKeyExpiry = [datetime]::Parse(${q(expiry)}, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind)`,
    `Write-Host ('In the Configuration Manager console: Administration > Cloud Services > Microsoft Entra tenants > ' + ${q(s.tenantId)} + ' > server app ' + ${q(requireGuid(s.serverAppId, 'serverAppId'))} + ' > Renew Secret Key.')`,
    "Write-Host ('Secret key expiry to enter: ' + $secretKeyExpiry.ToLocalTime().ToString('g'))",
    'Set-Clipboard -Value ([System.Net.NetworkCredential]::new([string]::Empty, $secret.SecretValue).Password)',
    "Read-Host 'The new secret key is on the clipboard: paste it into the Renew Secret Key dialog, select OK, then press Enter' | Out-Null",
    'Set-Clipboard -Value $null',
    `Write-Host ('Then confirm the renewal, so the old secret is removed: POST ' + ${q(s.confirmUrl)})`,
  ];
  return `${lines.join('\n')}\n`;
}
