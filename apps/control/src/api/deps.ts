import type { SigningKeys } from '@loadline/access';
import type { MetadataStore } from '@loadline/metadata';
import type { AgentVerifier, Redis, RedisNames } from '@loadline/queue';
import type { ResultStore } from '@loadline/store';
import type { SignInLimiter } from '../access/sign-in-limiter.js';
import type { RunCoordinator } from '../coordinator.js';
import type { ScheduleDriver } from '../schedules.js';
import type { WeightProbes } from '../weight-probes.js';

/** Keys derived from control's master secret (replicas sharing the master agree on them). */
export interface ControlKeys {
  master: string;
  /** seals environment secrets at rest */
  secrets: Buffer;
  /** seals secrets inside shard jobs; enrolled agents receive it */
  jobs: Buffer;
  /** signs shard jobs and run signals */
  signing: SigningKeys;
}

/** Single sign-on, when configured (see access/oidc.ts). */
export interface OidcLogin {
  name: string;
  start(returnTo: string): Promise<string>;
  finish(
    callbackUrl: URL,
  ): Promise<{ subject: string; name: string; groups: string[]; returnTo: string }>;
  roleOf(
    groups: readonly string[],
  ): { role: 'viewer' | 'author' | 'operator' | 'admin'; environments: string[] } | undefined;
}

/** What the API's handlers work with. */
export interface RouteDeps {
  /** tells enrolled agents' heartbeats from anything else in Redis */
  agents: AgentVerifier;
  metadata: MetadataStore;
  store: ResultStore;
  redis: Redis;
  names: RedisNames;
  coordinator: RunCoordinator;
  schedules: ScheduleDriver;
  /** weight-shift capacity probes this control runs */
  probes: WeightProbes;
  /** the key shadow tags of runs in environment `name` are signed with */
  shadowSecretFor: (name: string) => string;
  keys: ControlKeys;
  /** whether this control is the active one, and where the active one answers */
  leadership: () => { active: boolean; leaderUrl: string | undefined };
  /** how long agents go on while control is away (an environment may shorten it) */
  controlGraceMs: number;
  signIns: SignInLimiter;
  /** session cookies carry `Secure` (control serves TLS itself) */
  secureCookies: boolean;
  /** how long a launch or schedule in a protected environment waits for approval */
  approvalTtlMs: number;
  oidc?: OidcLogin;
  /** URLs of Loadline's own servers (API, Redis, Postgres, ClickHouse): never a target */
  infrastructure: readonly string[];
  log?: (line: string) => void;
}
