// A leak is a shadow write that would have reached production. The guard refuses it
// (ShadowLeakError) and hands a report to a LeakReporter; control stops the run.
export type LeakKind = 'postgres' | 'redis' | 'queue' | 'egress';

export interface LeakReport {
  kind: LeakKind;
  /** Table, key, queue or host that would have been hit. */
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
    super(`shadow run ${runId}: refused ${leak.kind} write to production ${leak.target}`);
  }
}

export interface ControlLeakReporterOptions {
  controlUrl: string;
  /** Defaults to global fetch. Must not be a shadow-tagging fetch: the report is control-plane traffic. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** POSTs `{controlUrl}/runs/{runId}/leaks`; control then stops the run. */
export function controlLeakReporter(options: ControlLeakReporterOptions): LeakReporter {
  const base = options.controlUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    async report(runId, leak) {
      const res = await doFetch(`${base}/runs/${encodeURIComponent(runId)}/leaks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(leak),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Drain the body so the socket returns to the pool.
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`control rejected leak report: HTTP ${res.status}`);
    },
  };
}
