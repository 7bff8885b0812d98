import { CapacityModel, Forecast } from '@loadline/capacity';
import { Corpus } from '@loadline/replay/corpus';
import { Duration } from '@loadline/scenario';
import { z } from 'zod';
import { hostMatcher, hostPatternProblem } from '../hosts.js';
import { PlainText } from './account.js';

// Request bodies of the control API. Control parses every body with these, the typed client
// sends them, and the OpenAPI document is generated from them.

/** Names of environments, scenarios, corpora and schedules: as in scenario files, no spaces. */
export const Name = z
  .string()
  .max(128, 'at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "-" and "." (no spaces)');

const Identifier = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "-" and "."');

const HostPattern = z
  .string()
  .trim()
  .superRefine((entry, ctx) => {
    const problem = hostPatternProblem(entry);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const MetricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'not a Prometheus metric name');

/**
 * A resource that runs out before the CPU does — a DB pool's connections in use, event-loop
 * delay, memory, a queue's depth — read from a gauge each second (summed over its label
 * sets) and kept as its share of `ceiling` × its limit: 1 is the most the service may use.
 * The limit is `limit` (in the gauge's unit) or the value of `sizeMetric` (a pool's size).
 */
export const SaturationGauge = z
  .strictObject({
    name: Identifier.max(64),
    metric: MetricName,
    limit: z.number().positive().finite().optional(),
    sizeMetric: MetricName.optional(),
    /** the share of the limit the service may use (default 1: all of it) */
    ceiling: z.number().gt(0).max(1).default(1),
  })
  .refine((g) => (g.limit === undefined) !== (g.sizeMetric === undefined), {
    message: 'give either limit (a number) or sizeMetric (the gauge holding the limit)',
  });
export type SaturationGauge = z.infer<typeof SaturationGauge>;

/** A target instance's Prometheus endpoint, scraped every second during runs. */
export const MetricsTarget = z.strictObject({
  service: Identifier,
  url: z.url({ protocol: /^https?$/, error: 'expected an absolute http(s):// URL' }).max(2048),
  /** counter of the instance's CPU seconds; default process_cpu_seconds_total */
  cpuMetric: MetricName.optional(),
  /** counter of requests served; default http_requests_total */
  requestsMetric: MetricName.optional(),
  /** histogram of request durations in seconds; default http_request_duration_seconds */
  durationMetric: MetricName.optional(),
  /** gauges of resources that can run out first, each with its limit */
  saturation: z.array(SaturationGauge).max(20).optional(),
});
export type MetricsTarget = z.infer<typeof MetricsTarget>;

/**
 * How control reads and sets a service's per-instance weights at the gateway, for a
 * weight-shift capacity probe. `http-json`: `GET url` answers `{ "<service>": [w0, w1, …] }`
 * and `PUT url` with `{ "<service>": [w0, w1, …] }` sets them (the demo mall's
 * `/admin/weights`; a small sidecar gives nginx or Envoy the same API). Weight i belongs to
 * the service's i-th metricsTarget.
 */
export const WeightDriver = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http-json'),
    url: z.url({ protocol: /^https?$/, error: 'expected an absolute http(s):// URL' }).max(2048),
  }),
]);
export type WeightDriver = z.infer<typeof WeightDriver>;

const EnvironmentFields = z.strictObject({
  name: Name,
  /** Named base URLs, e.g. `{ gateway: "https://gw.shop.internal" }`. */
  baseUrls: z
    .record(
      Identifier.max(128),
      z
        .url({ protocol: /^(https?|wss?)$/, error: 'expected an absolute http(s):// URL' })
        .max(2048),
    )
    .default({}),
  /** Hosts runs may target: names, `*.suffix`, IP addresses and CIDR blocks, each with an optional `:port` or `:from-to`. */
  allowedHosts: z.array(HostPattern).max(1000).default([]),
  /** Whether every run against this environment must carry the shadow tag. */
  requiresShadow: z.boolean().default(true),
  /** Launches and schedules here wait for a second operator's approval (four eyes). */
  protected: z.boolean().default(false),
  /** Prometheus endpoints of the target's instances, scraped every second during runs. */
  metricsTargets: z.array(MetricsTarget).max(1000).default([]),
  /** Per service, how a weight-shift capacity probe reads and sets its instances' weights. */
  weightDrivers: z.record(Identifier.max(200), WeightDriver).default({}),
  /**
   * Seconds agents go on sending while control is away (a restart, a failover): at most
   * control's own LOADLINE_CONTROL_GRACE; 0 stops a run's load as soon as control is silent.
   */
  controlGraceS: z.number().int().min(0).max(600).nullable().default(null),
  /**
   * Requests per second the whole fleet may send here, whatever a scenario or a live rate
   * change asks: launches and changes that would plan more are refused. Null: no cap.
   */
  maxRate: z.number().positive().finite().nullable().default(null),
});

export const EnvironmentInput = EnvironmentFields.superRefine((env, ctx) => {
  const allowed = hostMatcher(env.allowedHosts);
  for (const [key, url] of Object.entries(env.baseUrls)) {
    if (!allowed(url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseUrls', key],
        message: `${url} is not covered by allowedHosts`,
      });
    }
  }
  // Scraping is traffic too: only hosts the environment allows.
  env.metricsTargets.forEach((target, i) => {
    if (!allowed(target.url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['metricsTargets', i, 'url'],
        message: `${target.url} is not covered by allowedHosts`,
      });
    }
  });
  for (const [service, driver] of Object.entries(env.weightDrivers)) {
    if (!allowed(driver.url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['weightDrivers', service, 'url'],
        message: `${driver.url} is not covered by allowedHosts`,
      });
    }
  }
});
export type EnvironmentInput = z.input<typeof EnvironmentInput>;

/** PUT /environments/:name: the environment without its name (the path names it). */
export const EnvironmentBody = EnvironmentFields.omit({ name: true });

/** Feeder rows as read from a scenario's CSV files: name → rows of column → value. */
export const FeederRows = z.record(
  z.string().max(128),
  z.array(z.record(z.string().max(256), z.string().max(65_536))).max(1_000_000),
);
export type FeederRows = z.infer<typeof FeederRows>;

export const SaveScenarioBody = z.strictObject({
  /** the scenario as written (YAML or JSON text) */
  source: z.string().min(1).max(1_000_000),
  /** feeder rows read by the client from the files the scenario names */
  feederRows: FeederRows.default({}),
});
export type SaveScenarioBody = z.infer<typeof SaveScenarioBody>;

/** What a launch may change of the scenario it runs. */
export const RunOverrides = z.strictObject({
  /** at most 7 days, as a scenario's own duration */
  duration: Duration.optional(),
  /** scales the arrival rate or the VU count; at most 1000× */
  rateMultiplier: z.number().positive().max(1000, 'at most 1000').optional(),
});
export type RunOverrides = z.infer<typeof RunOverrides>;

/** The most shards (agents) one run may ask for. */
export const MAX_RUN_AGENTS = 1000;

export const CreateRunBody = z.strictObject({
  scenario: Name,
  version: z.number().int().positive().max(2_147_483_647).optional(),
  environment: Name.optional(),
  agents: z.number().int().positive().max(MAX_RUN_AGENTS).optional(),
  overrides: RunOverrides.default({}),
});
export type CreateRunBody = z.infer<typeof CreateRunBody>;

/**
 * PATCH /runs/:id: a running open-model run's rate from now on, as a multiple of what its
 * scenario (with its launch overrides) plans: 2 doubles it, 0.5 halves it.
 */
export const RunRateBody = z.strictObject({
  rateMultiplier: z.number().min(0.01, 'at least 0.01').max(100, 'at most 100'),
});
export type RunRateBody = z.infer<typeof RunRateBody>;

export const CreateScheduleBody = z.strictObject({
  name: Name,
  scenario: Name,
  /** pin a version; by default each firing runs the latest version */
  version: z.number().int().positive().max(2_147_483_647).optional(),
  /** five fields (minute hour day-of-month month day-of-week) */
  cron: z.string().min(1).max(128),
  timezone: z.string().max(64).default('UTC'),
  environment: Name.optional(),
  agents: z.number().int().positive().max(MAX_RUN_AGENTS).optional(),
  overrides: RunOverrides.default({}),
});
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;

export const PauseScheduleBody = z.strictObject({ paused: z.boolean().default(true) });
export type PauseScheduleBody = z.infer<typeof PauseScheduleBody>;

/** What a service's shadow SDK reports (see @loadline/shadow's controlLeakReporter). */
export const LeakInput = z.strictObject({
  kind: z.enum(['postgres', 'redis', 'queue', 'egress']),
  target: PlainText(1000).min(1),
  service: PlainText(200).min(1),
  detail: z.string().max(4000),
  at: z.coerce.date(),
});
export type LeakInput = z.input<typeof LeakInput>;

export const SaveCorpusBody = z.strictObject({
  name: Name,
  /** what `loadline import --out corpus.json` writes */
  corpus: Corpus.superRefine((corpus, ctx) => {
    if (corpus.meta.requests !== corpus.requests.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['meta', 'requests'],
        message: `says ${corpus.meta.requests} but the corpus has ${corpus.requests.length} requests`,
      });
    }
  }),
});
export type SaveCorpusBody = z.infer<typeof SaveCorpusBody>;

export const FitCapacityBody = z.strictObject({
  runs: z.array(z.string().min(1).max(128)).min(1).max(50),
  /** cores per machine by service; default 1 */
  cores: z.record(z.string().max(200), z.number().int().positive().max(4096)).default({}),
  slo: z
    .strictObject({
      p99Ms: z.number().positive().optional(),
      cpuCeiling: z.number().gt(0).max(1).optional(),
    })
    .default({ p99Ms: 500 }),
  entrySteps: z.array(z.string().max(256)).max(1000).optional(),
  /** seconds averaged into one load level of a ramp (default 5) */
  levelSeconds: z.number().int().positive().max(300).optional(),
});
export type FitCapacityBody = z.infer<typeof FitCapacityBody>;

/**
 * POST /capacity/probes: find one instance's redline on the traffic already flowing (live, or
 * a replay run) by raising its weight at the gateway level by level, its share of the
 * service's traffic growing from what it has to `maxShare`, until its SLO breaks.
 */
export const WeightProbeBody = z.strictObject({
  environment: Name,
  service: Identifier.max(200),
  /** which of the service's metricsTargets (and weights), from 0 */
  instance: z.number().int().min(0).max(999).default(0),
  slo: z
    .strictObject({
      p99Ms: z.number().positive().max(600_000).optional(),
      cpuCeiling: z.number().gt(0).max(1).optional(),
    })
    .refine((slo) => slo.p99Ms !== undefined || slo.cpuCeiling !== undefined, {
      message: 'an SLO needs p99Ms, cpuCeiling or both',
    }),
  /** cores of the instance's machine, for the CPU ceiling */
  cores: z.number().int().positive().max(4096).default(1),
  /** load levels, the first (the weights as found) a warm-up */
  levels: z.number().int().min(3).max(30).default(8),
  /** how long each level is held; its first `settle` is not measured */
  hold: Duration.default('20s'),
  settle: Duration.default('3s'),
  /** the instance's share of the service's traffic at the last level */
  maxShare: z.number().gt(0).max(1).default(0.9),
  /** the run carrying the traffic: the probe ends (and restores) when that run does */
  run: z.string().min(1).max(128).optional(),
});
export type WeightProbeBody = z.infer<typeof WeightProbeBody>;

export const PlanCapacityBody = z.strictObject({ model: CapacityModel, forecast: Forecast });
export type PlanCapacityBody = z.infer<typeof PlanCapacityBody>;
