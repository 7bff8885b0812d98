import { generatePassword, hashPassword } from '@loadline/access';
import type { MetadataStore } from '@loadline/metadata';
import { issueToken } from './routes.js';

export interface FirstAdmin {
  username: string;
  /** shown once; only its hash is stored */
  password: string;
}

/**
 * On an empty database, the first user: `admin`, with the configured password or a
 * generated one that the caller prints once. Safe when two controls start together (the
 * user is inserted only if absent).
 */
export async function ensureFirstAdmin(
  metadata: MetadataStore,
  configured: string | undefined,
): Promise<FirstAdmin | undefined> {
  if ((await metadata.access.countUsers()) > 0) return undefined;
  const password = configured ?? generatePassword();
  const created = await metadata.access.insertUser({
    name: 'admin',
    role: 'admin',
    passwordHash: await hashPassword(password),
  });
  if (!created) return undefined;
  await metadata.access.appendAudit({
    actor: 'system',
    actorKind: 'system',
    source: 'control',
    action: 'user.put',
    target: 'user:admin',
    outcome: 'ok',
    detail: { created: true, role: 'admin', firstAdmin: true },
  });
  return { username: 'admin', password: configured === undefined ? password : '(as configured)' };
}

/** A token for a process on this machine (`loadline up`'s CLI, its agents), owned by `admin`. */
export async function issueMachineToken(
  metadata: MetadataStore,
  name: string,
  role: 'admin' | 'agent' = 'admin',
): Promise<string> {
  const owner = await metadata.access.findUser('admin');
  if (owner) await metadata.access.revokeTokensNamed(name, owner.id);
  const issued = await issueToken(
    { metadata },
    {
      owner,
      grant: { role, environments: role === 'admin' ? ['*'] : [] },
      name,
      expires: role === 'admin' ? '90d' : '30d',
    },
  );
  await metadata.access.appendAudit({
    actor: 'system',
    actorKind: 'system',
    source: 'control',
    action: 'token.create',
    target: `token:${issued.id}`,
    outcome: 'ok',
    detail: { name, role },
  });
  return issued.token;
}
