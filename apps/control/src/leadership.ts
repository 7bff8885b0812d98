import http from 'node:http';
import https from 'node:https';
import type { MetadataStore } from '@loadline/metadata';
import { sendProblem } from './http.js';
import { HttpProblem } from './problem.js';

/** What only the active control does: coordinate runs, store results, fire schedules. */
export interface ActiveDuties {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The active control's lease: a standby takes over within LEASE_MS + RENEW_MS of its end. */
const LEASE_MS = 6000;
const RENEW_MS = 2000;

/**
 * Which control is active among several sharing one Postgres, Redis and ClickHouse. Each
 * takes or renews a lease every 2 s; the holder does the active duties, the others answer
 * the API (reads themselves, writes forwarded to the active one) and wait. When the holder
 * dies (kill -9), its lease lapses within 6 s and a standby becomes active: it ends the run
 * leases of every other control and takes their runs over at once. A control that cannot
 * renew in time stops its duties (another may hold them by then). Embedded mode has one
 * process by construction (the data directory's lock): it takes the lease outright.
 */
export class Leadership {
  readonly #metadata: MetadataStore;
  readonly #holder: string;
  readonly #url: string;
  readonly #force: boolean;
  readonly #duties: ActiveDuties;
  readonly #log: (line: string) => void;
  #active = false;
  #renewedAt = 0;
  #leaderUrl: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(
    metadata: MetadataStore,
    options: { holder: string; url: string; force: boolean; log: (line: string) => void },
    duties: ActiveDuties,
  ) {
    this.#metadata = metadata;
    this.#holder = options.holder;
    this.#url = options.url;
    this.#force = options.force;
    this.#log = options.log;
    this.#duties = duties;
  }

  /** Whether this control is the active one. */
  get active(): boolean {
    return this.#active;
  }

  /** Where the active control's API answers (this one's when active), if any is live. */
  get leaderUrl(): string | undefined {
    return this.#active ? this.#url : this.#leaderUrl;
  }

  async start(): Promise<void> {
    await this.#check();
    this.#timer = setInterval(() => {
      this.#checking ??= this.#check().finally(() => {
        this.#checking = undefined;
      });
    }, RENEW_MS);
  }

  async #check(): Promise<void> {
    let held: boolean;
    try {
      held = await this.#metadata.acquireLeadership({
        holder: this.#holder,
        url: this.#url,
        ttlMs: LEASE_MS,
        force: this.#force,
      });
    } catch (error) {
      this.#log(`control lease: ${(error as Error).message}`);
      // Unrenewed past its lease, another control may be active by now: stand down.
      if (this.#active && Date.now() - this.#renewedAt > LEASE_MS) await this.#standDown();
      return;
    }
    if (held) {
      this.#renewedAt = Date.now();
      if (!this.#active) await this.#takeOver();
      return;
    }
    if (this.#active) await this.#standDown();
    const leader = await this.#metadata.getLeader().catch(() => null);
    this.#leaderUrl = leader?.live ? leader.url : undefined;
  }

  async #takeOver(): Promise<void> {
    this.#active = true;
    const ended = await this.#metadata.endOthersRunLeases(this.#holder);
    this.#log(
      `this control is active${ended > 0 ? `; taking over ${ended} run(s) of the control before it` : ''}`,
    );
    await this.#duties.start();
  }

  async #standDown(): Promise<void> {
    this.#active = false;
    this.#log('this control is no longer active (its lease lapsed); standing by');
    await this.#duties.stop();
  }

  /** Stops, giving the lease up when held: a standby takes over at its next check. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#checking;
    if (!this.#active) return;
    this.#active = false;
    await this.#duties.stop();
    await this.#metadata.releaseLeadership(this.#holder).catch(() => {});
  }
}

/** Marks a request a standby forwarded (it is not forwarded again). */
const FORWARDED_BY = 'x-loadline-forwarded-by';

/**
 * What a standby forwards to the active control: every write (runs launch and stop there,
 * agents enroll and report there) and the live views, which only the active control has.
 */
export function forwardedToLeader(req: http.IncomingMessage): boolean {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') return true;
  return /^\/runs\/[^/?]+\/events(?:[/?]|$)/.test(req.url ?? '');
}

/**
 * Forwards a request to the active control's API as it came (headers, body streamed), with
 * the caller's address added to X-Forwarded-For for the audit log; 503 (Retry-After) when
 * no control is active right now, as during a takeover.
 */
export function forwardToLeader(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  leaderUrl: string | undefined,
): void {
  const instance = (req.url ?? '/').split('?')[0] ?? '/';
  const unavailable = (detail: string) =>
    sendProblem(
      res,
      instance,
      new HttpProblem(503, 'no active control', detail, {}, { 'retry-after': '2' }),
    );
  if (leaderUrl === undefined) {
    unavailable(
      'this control is a standby and no active control answers right now (a takeover takes up to 10 s); try again shortly',
    );
    return;
  }
  // Forwarded once at most: a request that comes back to a standby (a control advertising
  // an address that leads elsewhere) is answered here, never sent round in a loop.
  if (req.headers[FORWARDED_BY] !== undefined) {
    unavailable(
      `forwarded here from another control, but this one is a standby too; check LOADLINE_ADVERTISE_URL of the active control (${leaderUrl})`,
    );
    return;
  }
  const target = new URL(req.url ?? '/', leaderUrl);
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress]
    .filter((part) => part !== undefined)
    .join(', ');
  const upstream = (target.protocol === 'https:' ? https : http).request(
    target,
    {
      method: req.method,
      headers: { ...req.headers, 'x-forwarded-for': forwardedFor, [FORWARDED_BY]: 'standby' },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    if (res.headersSent) res.destroy();
    else unavailable(`the active control at ${leaderUrl} did not answer: ${error.message}`);
  });
  req.pipe(upstream);
}
