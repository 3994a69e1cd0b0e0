// Password hashing with scrypt (node:crypto, memory-hard). Each hash carries its own parameters
// ("scrypt$N$r$p$salt$hash", base64url), so the cost can be raised later: old hashes keep verifying with
// theirs and are re-hashed with the current ones at the next successful sign-in (needsRehash).
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** Current cost: N = 2^15, r = 8, p = 1 (32 MiB, about 50–100 ms here). */
export const CURRENT_PARAMETERS = { N: 32768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must cover 128 * N * r bytes plus a margin.
    scryptCallback(
      password.normalize('NFC'),
      salt,
      KEY_LENGTH,
      { ...options, maxmem: 256 * (options.N ?? 16384) * (options.r ?? 8) + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

export async function hashPassword(
  password: string,
  parameters: { N: number; r: number; p: number } = CURRENT_PARAMETERS,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, parameters);
  return `scrypt$${parameters.N}$${parameters.r}$${parameters.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

function parse(stored: string): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | undefined {
  const match = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([\w-]{1,100})\$([\w-]{1,200})$/.exec(stored);
  if (!match) return undefined;
  const N = Number(match[1]);
  const r = Number(match[2]);
  const p = Number(match[3]);
  // Refuse parameters no hash of ours has (a tampered row must not make sign-in burn memory).
  if (N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { N, r, p, salt: Buffer.from(match[4]!, 'base64url'), key: Buffer.from(match[5]!, 'base64url') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, { N: parsed.N, r: parsed.r, p: parsed.p });
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when `stored` was made with other parameters than the current ones. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.N !== CURRENT_PARAMETERS.N || parsed.r !== CURRENT_PARAMETERS.r || parsed.p !== CURRENT_PARAMETERS.p;
}

/** Spends the time of one verification, so an unknown e-mail answers as slowly as a wrong password. */
let dummyHash: Promise<string> | undefined;
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword('not a password of anyone');
  await verifyPassword(password, await dummyHash);
  return false;
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `A password must be at least ${MIN_PASSWORD_LENGTH} characters long.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `A password must be at most ${MAX_PASSWORD_LENGTH} characters long.`;
  return undefined;
}
