/** An RFC 9457 problem: every error the API returns has this body. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    /** response headers that go with it (`WWW-Authenticate`, `Retry-After`) */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}
