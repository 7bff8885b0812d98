import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UsageError } from './exit-codes.js';

// Where `loadline login` (and `loadline up`) keep API tokens: one file per user, 0600, one
// entry per control API URL, so a laptop can hold its local stack's token beside a shared
// installation's.

export const Credential = z.object({
  token: z.string(),
  tokenId: z.string().optional(),
  user: z.string().optional(),
  role: z.string().optional(),
  savedAt: z.string(),
});
export type Credential = z.infer<typeof Credential>;

const CredentialsFile = z.object({
  version: z.literal(1),
  apis: z.record(z.string(), Credential),
});
type CredentialsFile = z.infer<typeof CredentialsFile>;

/** `$XDG_CONFIG_HOME/loadline/credentials.json`, else `~/.config/loadline/credentials.json`. */
export function credentialsPath(xdgConfigHome: string | undefined): string {
  return join(xdgConfigHome || join(homedir(), '.config'), 'loadline', 'credentials.json');
}

/** An API URL as the file keys it: origin and path, no trailing slash. */
export function apiKey(api: string): string {
  const url = new URL(api);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function read(path: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, apis: {} };
    throw error;
  }
  const parsed = CredentialsFile.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new UsageError(undefined, `${path} is not a Loadline credentials file; move it away`);
  }
  return parsed.data;
}

/** The stored credential for `api`, or undefined. A file others can read is refused. */
export function loadCredential(path: string, api: string): Credential | undefined {
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new UsageError(
        undefined,
        `${path} can be read by other users; run \`chmod 600 ${path}\` (or \`loadline logout\` and sign in again)`,
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return read(path).apis[apiKey(api)];
}

/** Stores (or with `undefined`, forgets) the credential for `api`, atomically, 0600. */
export function saveCredential(path: string, api: string, credential: Credential | undefined) {
  const file = read(path);
  if (credential) file.apis[apiKey(api)] = credential;
  else delete file.apis[apiKey(api)];
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}
