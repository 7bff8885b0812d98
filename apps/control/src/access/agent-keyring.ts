import { agentKey, hmacMatches } from '@loadline/access';
import type { AccessStore, EnrolledAgent } from '@loadline/metadata';
import type { AgentVerifier } from '@loadline/queue';

/** How old the enrollments read may be: a revocation reaches every control within this. */
const FRESH_MS = 2000;
/** A signature that fails is read again at most this often per agent (a re-enrollment). */
const RECHECK_MS = 250;

interface Entry {
  /** undefined: revoked */
  key: Buffer | undefined;
  enrollment: string;
  checkedAt: number;
}

/**
 * Control's knowledge of enrolled agents, as the results stream and heartbeats need it:
 * whether a message was signed by the enrolled agent it names. Every enrollment is read
 * in one query, at most every two seconds (so a revocation, by any control, takes effect
 * here within two seconds), and each key is derived once per enrollment (HKDF of the
 * master secret and the enrollment's nonce). An agent that is not known yet, or whose
 * signature does not match (it enrolled again since), is read on its own at once, at
 * most every 250 ms: a fleet of thousands costs one query every two seconds, not one per
 * agent and message.
 */
export class AgentKeyring implements AgentVerifier {
  #entries = new Map<string, Entry>();
  #readAt = 0;
  #reading: Promise<void> | undefined;

  constructor(
    private readonly access: AccessStore,
    private readonly master: string,
  ) {}

  async verify(agentId: string, text: string, signature: string): Promise<boolean> {
    if (Date.now() - this.#readAt > FRESH_MS) await this.#readAll();
    let entry = this.#entries.get(agentId);
    if (entry?.key && hmacMatches(entry.key, text, signature)) return true;
    if (entry && Date.now() - entry.checkedAt < RECHECK_MS) return false;
    entry = await this.#readOne(agentId);
    return entry?.key !== undefined && hmacMatches(entry.key, text, signature);
  }

  /** One read for every caller that finds the snapshot stale at once. */
  #readAll(): Promise<void> {
    this.#reading ??= (async () => {
      try {
        const at = Date.now();
        const rows = await this.access.listEnrolledAgents();
        const entries = new Map<string, Entry>();
        for (const row of rows) entries.set(row.id, this.#entry(row, at));
        this.#entries = entries;
        this.#readAt = at;
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  async #readOne(agentId: string): Promise<Entry | undefined> {
    const row = await this.access.findEnrolledAgent(agentId);
    if (!row) {
      // Remembered as unknown for RECHECK_MS, so a flood of forged ids costs few reads.
      this.#entries.set(agentId, { key: undefined, enrollment: '', checkedAt: Date.now() });
      return undefined;
    }
    const entry = this.#entry(row, Date.now());
    this.#entries.set(agentId, entry);
    return entry;
  }

  /** Keeps the derived key while the enrollment is the same one. */
  #entry(row: EnrolledAgent, at: number): Entry {
    const known = this.#entries.get(row.id);
    const key = row.revokedAt
      ? undefined
      : known?.key && known.enrollment === row.enrollment
        ? known.key
        : agentKey(this.master, row.id, row.enrollment);
    return { key, enrollment: row.enrollment, checkedAt: at };
  }
}
