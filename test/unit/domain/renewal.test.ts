import {
  buildRenewalScript,
  dueNotification,
  expiryBucket,
  governingCredential,
  initialSecretState,
  isRenewalDue,
  previousRemovable,
  secretState,
  sweepCutoffBucket,
  sweepWindowDays,
  type ManagedSecretState,
} from '../../../src/shared/domain';

const DAY = 86_400_000;
const NOW = new Date('2026-03-01T12:00:00Z');
const in_ = (days: number): string => new Date(NOW.getTime() + days * DAY).toISOString();
const KEY_A = '11111111-1111-4111-8111-111111111111';
const KEY_B = '22222222-2222-4222-8222-222222222222';
const KV = 'https://kv-cmg.vault.azure.net/secrets/cm-server-app-secret-x/0123456789abcdef0123456789abcdef';

function tracked(expiresInDays: number): ManagedSecretState {
  return initialSecretState({
    serverObjectId: '33333333-3333-4333-8333-333333333333',
    serverAppId: '44444444-4444-4444-8444-444444444444',
    keyId: KEY_A,
    expiresOn: in_(expiresInDays),
    keyVaultSecretId: KV,
    now: NOW,
  });
}

function renewed(oldInDays: number, confirmed = false): ManagedSecretState {
  const s = tracked(oldInDays);
  return {
    ...s,
    previous: { ...s.current, ...(confirmed ? { confirmedAt: NOW.toISOString() } : {}) },
    current: { keyId: KEY_B, expiresOn: in_(365), keyVaultSecretId: KV, createdAt: NOW.toISOString() },
  };
}

describe('expiry index buckets', () => {
  it('files by UTC day, in lexical = date order', () => {
    expect(expiryBucket('2026-12-31T23:59:59Z')).toBe('20261231');
    expect(expiryBucket('2027-01-01T00:00:00Z')).toBe('20270101');
    expect(expiryBucket('2026-12-31T23:59:59Z') < expiryBucket('2027-01-01T00:00:00Z')).toBe(true);
  });
  it('the sweep looks as far as the renewal window or the first notification threshold', () => {
    expect(sweepWindowDays(10)).toBe(30);
    expect(sweepWindowDays(45)).toBe(45);
    expect(sweepCutoffBucket(NOW, 30)).toBe('20260331');
  });
});

describe('secret state', () => {
  it('valid, due, renewed-awaiting-confirmation, expired', () => {
    expect(secretState(tracked(90), NOW, 30)).toBe('valid');
    expect(secretState(tracked(29), NOW, 30)).toBe('due');
    expect(secretState(renewed(20), NOW, 30)).toBe('renewed-awaiting-confirmation');
    expect(secretState(tracked(-1), NOW, 30)).toBe('expired');
    expect(secretState(renewed(-1), NOW, 30)).toBe('expired');
  });
  it('renewal is due inside the window; the old credential governs until confirmed', () => {
    expect(isRenewalDue(tracked(30), NOW, 30)).toBe(true);
    expect(isRenewalDue(tracked(31), NOW, 30)).toBe(false);
    expect(governingCredential(renewed(20)).keyId).toBe(KEY_A);
    expect(governingCredential(renewed(20, true)).keyId).toBe(KEY_B);
  });
  it('the previous credential may go once confirmed or expired, not before', () => {
    expect(previousRemovable(renewed(20), NOW)).toBe(false);
    expect(previousRemovable(renewed(20, true), NOW)).toBe(true);
    expect(previousRemovable(renewed(-0.01), NOW)).toBe(true);
    expect(previousRemovable(tracked(10), NOW)).toBe(false);
  });
});

describe('expiry notifications', () => {
  it('sends the most urgent threshold reached, once', () => {
    expect(dueNotification(tracked(31), NOW)).toBeUndefined();
    expect(dueNotification(tracked(30), NOW)).toMatchObject({ threshold: 30, keyId: KEY_A, skip: [] });
    const sent = { ...tracked(25), notified: [`${KEY_A}:30`] };
    expect(dueNotification(sent, NOW)).toBeUndefined();
    expect(dueNotification({ ...tracked(13), notified: [`${KEY_A}:30`] }, NOW)).toMatchObject({ threshold: 14 });
    expect(dueNotification(tracked(0.5), NOW)).toMatchObject({ threshold: 1 });
    expect(dueNotification(tracked(-2), NOW)).toMatchObject({
      threshold: 0,
      skip: [`${KEY_A}:30`, `${KEY_A}:14`, `${KEY_A}:7`, `${KEY_A}:1`],
    });
  });
  it('counts down for the credential Configuration Manager uses', () => {
    expect(dueNotification(renewed(7), NOW)).toMatchObject({ threshold: 7, keyId: KEY_A });
    expect(dueNotification(renewed(7, true), NOW)).toBeUndefined();
  });
});

describe('renewal PowerShell', () => {
  const script = buildRenewalScript({
    ticketId: "CHG'1\nWrite-Host pwned",
    tenantId: '0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e',
    serverAppName: 'CMG ‘Server’',
    serverAppId: '44444444-4444-4444-8444-444444444444',
    keyVaultSecretId: KV,
    secretKeyExpiry: '2027-03-01T12:00:00Z',
    confirmUrl: 'https://func.example.net/api/registrations/x/secret/confirm',
  });
  it('reads the exact Key Vault version as a SecureString and the expiry invariantly', () => {
    expect(script).toContain(
      "$secret = Get-AzKeyVaultSecret -VaultName 'kv-cmg' -Name 'cm-server-app-secret-x' -Version '0123456789abcdef0123456789abcdef'",
    );
    expect(script).toContain(
      "[datetime]::Parse('2027-03-01T12:00:00.000Z', [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind)",
    );
    expect(script).toContain("Connect-AzAccount -Environment 'AzureCloud'");
    expect(script).toContain('Set-Clipboard -Value $null');
    expect(script).toContain("'https://func.example.net/api/registrations/x/secret/confirm'");
  });
  it('quotes every value: a ticket id or name cannot break out of its literal or comment', () => {
    const first = script.split('\n')[0]!;
    expect(first).toMatch(/'CHG''1.Write-Host pwned'/);
    expect(script.split('\n').filter((l) => l.startsWith('Write-Host pwned'))).toEqual([]);
    expect(first).toContain("'CMG ‘‘Server’’'");
  });
  it('never carries a secret value', () => {
    expect(script).not.toMatch(/-SecretKey\s+['"]/);
  });
});
