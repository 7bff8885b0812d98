// The runtime every integration shares: secret, internal hosts, declared tables, the leak
// reporter, counters and hooks. Created once per process by the service (or the preload).
import { runOutsideShadow, type ShadowContext } from './context.js';
import { type HostMatcher, hostMatcher } from './hosts.js';
import { type LeakKind, type LeakReport, type LeakReporter, ShadowLeakError } from './leaks.js';
import { type TagRejection, verifyShadowTag } from './tag.js';

export interface UntrustedEvent {
  reason: TagRejection;
  /** Where the tag arrived: `http`, `job`, … */
  via: string;
  /** Truncated: a forged tag is attacker-controlled text going into our logs. */
  value: string;
}

export interface EgressEvent {
  runId: string;
  host: string;
  via: string;
}

export interface ShadowCounters {
  /** Requests/jobs accepted as shadow traffic. */
  accepted: number;
  /** Tags rejected and treated as production, by reason. */
  untrusted: Record<TagRejection, number>;
  /** Tagged-context calls to non-internal hosts (tag stripped). */
  egress: number;
  /** Writes refused by the leak guard, by kind. */
  leaks: Record<LeakKind, number>;
  /** Leak reports the reporter failed to deliver. */
  reportFailures: number;
}

export type ShadowLog = (event: string, fields: Record<string, unknown>) => void;

export interface ShadowOptions {
  secret: string;
  /** Production tables the service declares (see routing/sql.ts for the accepted forms). */
  tables?: readonly string[];
  internalHosts?: readonly string[];
  service?: string;
  leakReporter?: LeakReporter;
  onUntrusted?: (event: UntrustedEvent) => void;
  onEgress?: (event: EgressEvent) => void;
  onLeak?: (runId: string, leak: LeakReport) => void;
  /** Defaults to one JSON line on stderr. */
  log?: ShadowLog;
  /** Unix seconds; injectable for tests. */
  now?: () => number;
}

export interface Shadow {
  readonly secret: string;
  readonly tables: readonly string[];
  readonly service: string;
  readonly counters: ShadowCounters;
  readonly isInternalHost: HostMatcher;
  /**
   * Verify an incoming tag; counts and logs rejections. `allowExpired` is for carriers
   * that are already in shadow storage (a delayed job must not turn into production).
   */
  accept(value: string, via: string, allowExpired?: boolean): ShadowContext | undefined;
  /** Count, log and report a tagged call leaving the trusted perimeter. */
  egress(ctx: ShadowContext, host: string, via: string): void;
  /** Count, log and report a refused write; returns the error to throw. */
  leak(ctx: ShadowContext, kind: LeakKind, target: string, detail: string): ShadowLeakError;
  /** Wait for leak reports in flight (tests, graceful shutdown). */
  flush(): Promise<void>;
}

const defaultLog: ShadowLog = (event, fields) => {
  process.stderr.write(`${JSON.stringify({ level: 'warn', event, ...fields })}\n`);
};

export function createShadow(options: ShadowOptions): Shadow {
  const log = options.log ?? defaultLog;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const service = options.service ?? 'unknown-service';
  const pending = new Set<Promise<void>>();
  const counters: ShadowCounters = {
    accepted: 0,
    untrusted: { malformed: 0, 'bad-signature': 0, expired: 0 },
    egress: 0,
    leaks: { postgres: 0, redis: 0, queue: 0, egress: 0 },
    reportFailures: 0,
  };

  function report(runId: string, leak: LeakReport): void {
    if (!options.leakReporter) return;
    // Control-plane traffic: never tagged, never itself reported as egress.
    const reporter = options.leakReporter;
    const p = runOutsideShadow(() => reporter.report(runId, leak))
      .catch((err: unknown) => {
        counters.reportFailures++;
        log('shadow.leak-report-failed', { runId, error: String(err) });
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  }

  function leakReport(kind: LeakKind, target: string, detail: string): LeakReport {
    return { kind, target, service, detail, at: new Date().toISOString() };
  }

  return {
    secret: options.secret,
    tables: options.tables ?? [],
    service,
    counters,
    isInternalHost: hostMatcher(options.internalHosts ?? []),
    accept(value, via, allowExpired = false) {
      const verdict = verifyShadowTag(value, options.secret, allowExpired ? 0 : now());
      if (verdict.ok) {
        counters.accepted++;
        return { runId: verdict.runId, tag: value };
      }
      counters.untrusted[verdict.reason]++;
      const event = { reason: verdict.reason, via, value: value.slice(0, 200) };
      log('shadow.untrusted-tag', event);
      options.onUntrusted?.(event);
      return undefined;
    },
    egress(ctx, host, via) {
      counters.egress++;
      const event = { runId: ctx.runId, host, via };
      log('shadow.egress', event);
      options.onEgress?.(event);
      report(ctx.runId, leakReport('egress', host, `tagged ${via} call to non-internal host`));
    },
    leak(ctx, kind, target, detail) {
      counters.leaks[kind]++;
      const leak = leakReport(kind, target, detail);
      log('shadow.leak-refused', { runId: ctx.runId, ...leak });
      options.onLeak?.(ctx.runId, leak);
      report(ctx.runId, leak);
      return new ShadowLeakError(ctx.runId, leak);
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}
