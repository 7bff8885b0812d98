import { LEAK_SIGNATURE_HEADER, verifyLeakReport } from '@loadline/shadow';
import type { RouteDeps } from '../api/deps.js';
import type { RequestContext } from '../http.js';
import { HttpProblem } from '../problem.js';

const WINDOW_MS = 5 * 60_000;

/** Signatures seen lately: a report replayed inside the window is refused, not recorded twice. */
const seen = new Map<string, number>();

/**
 * Checks a leak report's signature with the key of the run's environment (what the
 * service's shadow SDK holds): 401 when it is missing, wrong or stale — and audited as a
 * refusal — 409 when the same report comes again.
 */
export function verifiedLeak(
  deps: Pick<RouteDeps, 'shadowSecretFor'>,
  ctx: RequestContext,
  environment: string,
): void {
  const header = ctx.headers[LEAK_SIGNATURE_HEADER];
  const verdict = verifyLeakReport({
    secret: deps.shadowSecretFor(environment),
    method: ctx.method,
    path: ctx.path,
    body: ctx.rawBody ?? '',
    header,
  });
  if (!verdict.ok) {
    ctx.audit.detail = { reason: `signature ${verdict.reason}` };
    throw new HttpProblem(
      401,
      'unsigned leak report',
      `a leak report must be signed with the shadow key of environment "${environment}" (${LEAK_SIGNATURE_HEADER}: ${verdict.reason})`,
    );
  }
  const now = Date.now();
  for (const [signature, until] of seen) if (until < now) seen.delete(signature);
  const signature = String(header);
  if (seen.has(signature)) {
    ctx.audit.detail = { reason: 'replayed' };
    throw new HttpProblem(409, 'replayed leak report', 'this signed report was already received');
  }
  seen.set(signature, now + WINDOW_MS);
}
