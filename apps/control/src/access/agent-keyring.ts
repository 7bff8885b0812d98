import { agentKey, hmacMatches } from '@loadline/access';
import type { AccessStore } from '@loadline/metadata';
import type { AgentVerifier } from '@loadline/queue';

const FRESH_MS = 2000;

/**
 * Control's knowledge of enrolled agents, as the results stream and heartbeats need it:
 * whether a message was signed by the enrolled agent it names. Keys are derived from the
 * master secret and each enrollment's nonce; rows are cached for two seconds, so a new
 * enrollment is seen at once (a miss reads again) and a revocation within two seconds.
 */
export class AgentKeyring implements AgentVerifier {
  readonly #cache = new Map<string, { key: Buffer | undefined; until: number }>();

  constructor(
    private readonly access: AccessStore,
    private readonly master: string,
  ) {}

  async verify(agentId: string, text: string, signature: string): Promise<boolean> {
    let key = await this.#key(agentId, false);
    if (key && hmacMatches(key, text, signature)) return true;
    // A re-enrollment changes the key: read the row again before saying no.
    key = await this.#key(agentId, true);
    return key !== undefined && hmacMatches(key, text, signature);
  }

  async #key(agentId: string, refresh: boolean): Promise<Buffer | undefined> {
    const cached = this.#cache.get(agentId);
    const now = Date.now();
    if (cached && cached.until > now && !(refresh && cached.until - FRESH_MS + 250 < now)) {
      return cached.key;
    }
    const row = await this.access.findEnrolledAgent(agentId);
    const key = row && !row.revokedAt ? agentKey(this.master, row.id, row.enrollment) : undefined;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(agentId, { key, until: now + FRESH_MS });
    return key;
  }
}
