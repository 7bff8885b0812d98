// Passwords are stored as scrypt hashes (RFC 7914) in a self-describing string, so the cost
// can be raised later and old hashes still verify:
//   scrypt$N=32768,r=8,p=1$<salt, base64>$<hash, base64>
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** What a new password must be; a refusal says which rule it broke. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

function derive(password: string, salt: Buffer, cost: ScryptOptions, length: number) {
  return new Promise<Buffer>((resolve, reject) => {
    // 128·N·r bytes of work memory, plus headroom: Node's default cap (32 MiB) is just short.
    const maxmem = 256 * (cost.N ?? COST.N) * (cost.r ?? COST.r);
    scrypt(password.normalize('NFC'), salt, length, { ...cost, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Why `password` may not be set, or undefined when it may. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) return `at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.includes('\0')) return 'no NUL characters';
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST, KEY_BYTES);
  return `scrypt$N=${COST.N},r=${COST.r},p=${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash nobody's password matches: unknown users cost as much time as known ones. */
const DECOY = `scrypt$N=${COST.N},r=${COST.r},p=${COST.p}$${Buffer.alloc(SALT_BYTES).toString('base64')}$${Buffer.alloc(KEY_BYTES).toString('base64')}`;

/**
 * Whether `password` matches `stored` (constant time). An unknown user (`stored`
 * undefined or null) still spends one hash, so timing does not tell names apart.
 */
export async function verifyPassword(
  password: string,
  stored: string | null | undefined,
): Promise<boolean> {
  const match = FORMAT.exec(stored ?? DECOY) ?? FORMAT.exec(DECOY);
  const [, n, r, p, saltText, keyText] = match as RegExpExecArray;
  const expected = Buffer.from(keyText as string, 'base64');
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const key = await derive(
    password,
    Buffer.from(saltText as string, 'base64'),
    { N: Number(n), r: Number(r), p: Number(p) },
    expected.length,
  );
  return stored !== undefined && stored !== null && timingSafeEqual(key, expected);
}

/** A password to print once (first admin): 20 characters of base64url, ~120 bits. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
