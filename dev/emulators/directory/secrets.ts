import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)] ?? 'A';
  return s;
}

/**
 * A client secret shaped like Entra's current ones: 40 characters, where the three first are the `hint` Graph
 * returns and characters 4-5 are the `Q~` version marker (e.g. `Abc8Q~...`).
 */
export function generateSecretText(): string {
  return `${pick(ALNUM, 3)}${pick('0123456789', 1)}Q~${pick(SECRET_ALPHABET, 34)}`;
}

export function hashSecret(secret: string, salt = randomBytes(16).toString('hex')): { salt: string; hash: string } {
  return { salt, hash: createHash('sha256').update(salt).update(secret, 'utf8').digest('hex') };
}

export function secretMatches(secret: string, salt: string, hash: string): boolean {
  const candidate = Buffer.from(hashSecret(secret, salt).hash, 'hex');
  const expected = Buffer.from(hash, 'hex');
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}
