// A leak is a shadow write that would have reached production. The guard refuses it
// (ShadowLeakError) and hands a report to a LeakReporter; control stops the run.
import { LEAK_SIGNATURE_HEADER, signLeakReport } from './leak-signature.js';
import { logText } from './log-text.js';

export type LeakKind = 'postgres' | 'redis' | 'queue' | 'egress';

export interface LeakReport {
  kind: LeakKind;
  /** Table, key, queue or host that would have been hit (control characters escaped). */
  target: string;
  service: string;
  detail: string;
  /** ISO 8601. */
  at: string;
}

export interface LeakReporter {
  report(runId: string, leak: LeakReport): Promise<void>;
}

export class ShadowLeakError extends Error {
  override readonly name = 'ShadowLeakError';
  constructor(
    readonly runId: string,
    readonly leak: LeakReport,
  ) {
    super(
      `shadow run ${logText(runId)}: refused ${logText(leak.kind)} write to production ${logText(leak.target)}`,
    );
  }
}

export interface ControlLeakReporterOptions {
  controlUrl: string;
  /** The environment's shadow key: every report is signed with it, and control checks. */
  secret: string;
  /** Defaults to global fetch. Must not be a shadow-tagging fetch: the report is control-plane traffic. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * POSTs `{controlUrl}/runs/{runId}/leaks` with an `x-loadline-signature` over the exact
 * body and path sent (see leak-signature.ts); control then stops the run.
 */
export function controlLeakReporter(options: ControlLeakReporterOptions): LeakReporter {
  if (options.secret.length === 0) throw new TypeError('controlLeakReporter: secret is empty');
  const base = options.controlUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    async report(runId, leak) {
      const url = new URL(`${base}/runs/${encodeURIComponent(runId)}/leaks`);
      const body = JSON.stringify(leak);
      const signature = signLeakReport({
        secret: options.secret,
        method: 'POST',
        path: url.pathname,
        body,
      });
      const res = await doFetch(url.href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [LEAK_SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Drain the body so the socket returns to the pool.
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`control rejected leak report: HTTP ${res.status}`);
    },
  };
}
