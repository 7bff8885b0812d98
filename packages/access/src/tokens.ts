// Bearer secrets (API tokens, console sessions, OIDC states) are random and long, so one
// SHA-256 is enough to store them: the database holds the hash, never the secret.
import { createHash, randomBytes } from 'node:crypto';

/** What a secret is for, visible in its prefix (as GitHub's `ghp_`), so a leak is recognisable. */
export type SecretKind = 'token' | 'session' | 'state';

const PREFIX: Record<SecretKind, string> = { token: 'llt_', session: 'lls_', state: 'llo_' };
const SECRET = /^ll[tso]_[A-Za-z0-9_-]{43}$/;

/** A new secret of `kind`: its prefix, then 256 random bits in base64url. */
export function newSecret(kind: SecretKind): string {
  return `${PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
}

/** Whether `text` has the shape of a secret of `kind` (nothing is looked up). */
export function isSecret(text: string, kind: SecretKind): boolean {
  return text.startsWith(PREFIX[kind]) && SECRET.test(text);
}

/** The stored form of a secret: SHA-256, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
