import { z } from 'zod';
import { GrantEnvironments, Permission, Role, TokenRole } from './access.js';

// Request and response shapes of the access routes: sign-in, users, API tokens, the audit
// log, approvals, environment secrets and agent enrollment. Bounded everywhere: these are
// the first bodies an anonymous caller can send.

const Timestamp = z.iso.datetime({ offset: true });

/** Printable text without control characters (nothing that can forge a log line). */
export const PlainText = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters (newlines, NUL, …)');

export const UserName = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, 'use letters, digits, "_", "-", "." and "@" (no spaces)');

const Password = z.string().min(1, 'must not be empty').max(1024, 'at most 1024 characters');

/** `30d`, `12h`, `90m`: how long a token or session lives. */
export const Lifetime = z
  .string()
  .regex(/^[1-9][0-9]{0,4}[mhd]$/, 'a lifetime like 90m, 12h or 30d')
  .refine((text) => lifetimeMs(text) <= 366 * 86_400_000, 'at most 366 days');

/** Milliseconds of a Lifetime (`30d` → 2,592,000,000). */
export function lifetimeMs(text: string): number {
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[text.slice(-1) as 'm' | 'h' | 'd'];
  return Number(text.slice(0, -1)) * unit;
}

export const SignInBody = z.strictObject({ username: UserName, password: Password });
export type SignInBody = z.infer<typeof SignInBody>;

/** `loadline login`: a password exchanged for an API token of the user's own grant. */
export const TokenSignInBody = SignInBody.extend({
  name: PlainText(100).optional(),
  expires: Lifetime.default('30d'),
});
export type TokenSignInBody = z.infer<typeof TokenSignInBody>;

export const ChangePasswordBody = z.strictObject({ current: Password, next: Password });

/** Who the caller is, as control sees it. */
export const Whoami = z.object({
  kind: z.enum(['user', 'token']),
  /** the user, or the token's owner */
  name: z.string(),
  role: TokenRole,
  environments: z.array(z.string()),
  permissions: z.array(Permission),
  via: z.enum(['session', 'token']),
  tokenId: z.string().nullable(),
  expiresAt: Timestamp.nullable(),
  /** with a console session: send it as `x-loadline-csrf` on every write */
  csrfToken: z.string().optional(),
});
export type Whoami = z.infer<typeof Whoami>;

/** How the sign-in page may sign a person in. */
export const AuthProviders = z.object({
  password: z.boolean(),
  oidc: z.object({ name: z.string(), start: z.string() }).nullable(),
});

export const UserBody = z.strictObject({
  role: Role,
  /** an operator's environments (`*`: all); ignored for other roles */
  environments: GrantEnvironments.default([]),
  /** a new password (at least 12 characters); absent keeps the current one */
  password: Password.optional(),
  disabled: z.boolean().default(false),
});
export type UserBody = z.infer<typeof UserBody>;

export const User = z.object({
  name: z.string(),
  role: Role,
  environments: z.array(z.string()),
  source: z.enum(['local', 'oidc']),
  disabled: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastSignInAt: Timestamp.nullable(),
});
export type User = z.infer<typeof User>;
export const UserList = z.object({ users: z.array(User) });

export const CreateTokenBody = z.strictObject({
  role: TokenRole,
  /** an operator token's environments; default: the creator's */
  environments: GrantEnvironments.optional(),
  /** default 30d; at most 366d */
  expires: Lifetime.default('30d'),
  name: PlainText(100).optional(),
});
export type CreateTokenBody = z.input<typeof CreateTokenBody>;

/** A token as it is shown once, when it is made. */
export const IssuedToken = z.object({
  id: z.string(),
  token: z.string(),
  name: z.string(),
  role: TokenRole,
  environments: z.array(z.string()),
  expiresAt: Timestamp.nullable(),
});
export type IssuedToken = z.infer<typeof IssuedToken>;

export const TokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  role: TokenRole,
  environments: z.array(z.string()),
  /** the user who made it */
  owner: z.string().nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;
export const TokenList = z.object({ tokens: z.array(TokenInfo) });

export const AuditOutcome = z.enum(['ok', 'denied', 'invalid', 'failed']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

export const AuditEvent = z.object({
  id: z.string(),
  at: Timestamp,
  /** `user:alice`, `token:tok_… (alice)`, `agent:local-1`, `service:checkout`, `anonymous` */
  actor: z.string(),
  actorKind: z.enum(['user', 'token', 'agent', 'service', 'anonymous', 'system']),
  /** the caller's address (and the proxy it came through) */
  source: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: AuditOutcome,
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof AuditEvent>;
export const AuditPage = z.object({
  events: z.array(AuditEvent),
  nextCursor: z.string().nullable(),
});

export const ApprovalState = z.enum(['pending', 'approved', 'refused', 'expired']);

/** Four eyes: a launch or schedule in a protected environment waits for a second person. */
export const Approval = z.object({
  state: ApprovalState,
  requestedBy: z.string(),
  requestedAt: Timestamp,
  expiresAt: Timestamp,
  decidedBy: z.string().nullable(),
  decidedAt: Timestamp.nullable(),
  reason: z.string().nullable(),
});
export type Approval = z.infer<typeof Approval>;

export const ApproveBody = z.strictObject({ reason: PlainText(1000).optional() });
export const RefuseBody = z.strictObject({ reason: PlainText(1000).min(1, 'say why') });

export const SecretName = z
  .string()
  .max(64, 'at most 64 characters')
  .regex(/^[A-Z][A-Z0-9_]*$/, 'upper-case letters, digits and "_", e.g. API_TOKEN');
export const SecretBody = z.strictObject({
  value: z
    .string()
    .min(1, 'must not be empty')
    .max(65_536, 'at most 64 KiB')
    .regex(/^[^\0\r\n]*$/, 'no NUL, CR or LF (a secret goes into headers and URLs)'),
});
export const SecretInfo = z.object({
  name: z.string(),
  updatedAt: Timestamp,
  updatedBy: z.string().nullable(),
});
export const SecretList = z.object({ environment: z.string(), secrets: z.array(SecretInfo) });

export const AgentId = z
  .string()
  .min(1)
  .max(128, 'at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/, 'letters, digits and "_", "-", ".", ":", "@"');

export const EnrollAgentBody = z.strictObject({
  agentId: AgentId,
  host: PlainText(255).min(1),
  version: PlainText(64).min(1),
});
export type EnrollAgentBody = z.infer<typeof EnrollAgentBody>;

/** What an agent receives once, when it enrolls: its identity and the keys it works with. */
export const Enrollment = z.object({
  agentId: z.string(),
  /** this agent's message key (base64url): it signs what it pushes to Redis */
  key: z.string(),
  /** control's Ed25519 public key (base64 SPKI): shard jobs and signals carry its signature */
  controlKey: z.string(),
  /** opens secrets sealed into shard jobs (base64url) */
  jobKey: z.string(),
  enrolledAt: Timestamp,
});
export type Enrollment = z.infer<typeof Enrollment>;

export const EnrolledAgent = z.object({
  agentId: z.string(),
  host: z.string(),
  version: z.string(),
  enrolledBy: z.string().nullable(),
  enrolledAt: Timestamp,
  revokedAt: Timestamp.nullable(),
});
export const EnrolledAgentList = z.object({ agents: z.array(EnrolledAgent) });
