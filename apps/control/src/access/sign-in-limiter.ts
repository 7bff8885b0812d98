import { HttpProblem } from '../problem.js';

/**
 * Slows password guessing: after `perName` failures for one user name from one address,
 * `perSource` failures from one address whatever the name, or `perNameAnywhere` failures
 * for one name from anywhere (an address a proxy reports can be made up), within
 * `windowMs`, sign-in answers 429 until the window has passed. Kept in memory: each
 * control counts its own.
 */
export class SignInLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly options = {
      perName: 10,
      perSource: 50,
      perNameAnywhere: 50,
      windowMs: 5 * 60_000,
    },
  ) {}

  /** Throws 429 (with Retry-After) when `name` from `source` may not try now. */
  check(name: string, source: string, now = Date.now()): void {
    const byName = this.#recent(`${name}\n${source}`, now);
    const bySource = this.#recent(source, now);
    const anywhere = this.#recent(`${name}\n*`, now);
    const blocked =
      byName.length >= this.options.perName
        ? byName
        : bySource.length >= this.options.perSource
          ? bySource
          : anywhere.length >= this.options.perNameAnywhere
            ? anywhere
            : undefined;
    if (!blocked) return;
    const retryS = Math.ceil(((blocked[0] ?? now) + this.options.windowMs - now) / 1000);
    throw new HttpProblem(
      429,
      'too many failed sign-ins',
      `try again in ${retryS} s`,
      {},
      { 'retry-after': String(Math.max(1, retryS)) },
    );
  }

  fail(name: string, source: string, now = Date.now()): void {
    for (const key of [`${name}\n${source}`, source, `${name}\n*`]) {
      const list = this.#recent(key, now);
      list.push(now);
      this.#failures.set(key, list);
    }
    // Bounded: a flood of names cannot grow the map without end.
    if (this.#failures.size > 10_000) {
      for (const [key, list] of this.#failures) {
        if ((list.at(-1) ?? 0) < now - this.options.windowMs) this.#failures.delete(key);
      }
    }
  }

  succeed(name: string, source: string): void {
    this.#failures.delete(`${name}\n${source}`);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => t > now - this.options.windowMs);
  }
}
