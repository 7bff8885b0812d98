// The runtime every integration shares: secret, internal hosts, declared tables, the leak
// reporter, counters and hooks. Created once per process by the service (or the preload).
import { hostAuthorities, splitAuthority } from './authority.js';
import { runOutsideShadow, type ShadowContext } from './context.js';
import { type HostMatcher, hostMatcher } from './hosts.js';
import { type LeakKind, type LeakReport, type LeakReporter, ShadowLeakError } from './leaks.js';
import { logFields, logText } from './log-text.js';
import { describeTag, type TagRejection, tagBoundToHost, verifyShadowTag } from './tag.js';

/** Why a tag was not trusted: the verifier's reasons, or a valid tag used off its target. */
export type UntrustedReason = TagRejection | 'wrong-target';

/**
 * Where a tag arrived. A request's tag must be bound to the authority in its Host header
 * (the run's target), unless that Host is one of the service's internal hosts: a hop the
 * tag was propagated to inside the system. A job's tag is inside the system already (only
 * a tagged context writes the shadow queue), and its expiry is not checked: a delayed job
 * must not turn into production.
 */
export type TagArrival = { via: 'http'; host: string | undefined } | { via: 'job' };

export interface UntrustedEvent {
  reason: UntrustedReason;
  /** Where the tag arrived: `http`, `job`. */
  via: string;
  /** The tag's run id, when it has a well-formed one. */
  runId?: string;
  /** A short hash of the whole value, to tell tags apart: never the tag itself. */
  fingerprint: string;
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
  untrusted: Record<UntrustedReason, number>;
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
  /**
   * Defaults to one JSON line on stderr. Every string in `fields` has its control
   * characters escaped before it gets here, so a text log cannot be forged either.
   */
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
   * Add internal hosts known only later, e.g. a service's own `host:port` once it
   * listens on port 0 (so that hops to it are accepted).
   */
  addInternalHosts(patterns: readonly string[]): void;
  /** Verify an incoming tag (see TagArrival); counts and logs rejections. */
  accept(value: string, arrival: TagArrival): ShadowContext | undefined;
  /** Count, log and report a tagged call leaving the trusted perimeter. */
  egress(ctx: ShadowContext, host: string, via: string): void;
  /** Count, log and report a refused write; returns the error to throw. */
  leak(ctx: ShadowContext, kind: LeakKind, target: string, detail: string): ShadowLeakError;
  /** Wait for leak reports in flight (tests, graceful shutdown). */
  flush(): Promise<void>;
}

const defaultLog: ShadowLog = (event, fields) => {
  const { level: _level, event: _event, ...rest } = fields;
  process.stderr.write(`${JSON.stringify({ level: 'warn', event, ...rest })}\n`);
};

export function createShadow(options: ShadowOptions): Shadow {
  const sink = options.log ?? defaultLog;
  const log: ShadowLog = (event, fields) => sink(event, logFields(fields));
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const service = logText(options.service ?? 'unknown-service');
  const internalHosts = [...(options.internalHosts ?? [])];
  let isInternalHost = hostMatcher(internalHosts);
  const pending = new Set<Promise<void>>();
  const counters: ShadowCounters = {
    accepted: 0,
    untrusted: { malformed: 0, 'bad-signature': 0, expired: 0, 'wrong-target': 0 },
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

  /** Target and detail come from request data (keys, table names): escaped at the source. */
  function leakReport(kind: LeakKind, target: string, detail: string): LeakReport {
    return {
      kind,
      target: logText(target),
      service,
      detail: logText(detail),
      at: new Date().toISOString(),
    };
  }

  /** A Host naming one of our internal hosts: this request is a hop inside the system. */
  function isInternalAuthority(host: string | undefined): boolean {
    return hostAuthorities(host).some((authority) => {
      const { host: name, port } = splitAuthority(authority);
      return isInternalHost(name, port);
    });
  }

  function untrusted(reason: UntrustedReason, value: string, via: string): undefined {
    counters.untrusted[reason]++;
    const event: UntrustedEvent = { reason, via, ...describeTag(value) };
    log('shadow.untrusted-tag', { ...event });
    options.onUntrusted?.(event);
    return undefined;
  }

  return {
    secret: options.secret,
    tables: options.tables ?? [],
    service,
    counters,
    isInternalHost: (host, port) => isInternalHost(host, port),
    addInternalHosts(patterns) {
      internalHosts.push(...patterns);
      isInternalHost = hostMatcher(internalHosts);
    },
    accept(value, arrival) {
      const job = arrival.via === 'job';
      const verdict = verifyShadowTag(value, options.secret, job ? 0 : now());
      if (!verdict.ok) return untrusted(verdict.reason, value, arrival.via);
      if (
        !job &&
        !tagBoundToHost(verdict.bind, arrival.host) &&
        !isInternalAuthority(arrival.host)
      ) {
        return untrusted('wrong-target', value, arrival.via);
      }
      counters.accepted++;
      return { runId: verdict.runId, tag: value };
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
