import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parseExtract } from './extract.js';
import {
  MAX_AGENTS,
  MAX_BODY_LENGTH,
  MAX_CONDITIONS,
  MAX_CORES,
  MAX_DESCRIPTION_LENGTH,
  MAX_DURATION_MS,
  MAX_EXPRESSION_LENGTH,
  MAX_EXTRACTS,
  MAX_FEEDERS,
  MAX_FLOWS,
  MAX_GUARDRAILS,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS,
  MAX_IN_FLIGHT,
  MAX_NAME_LENGTH,
  MAX_NESTING,
  MAX_PATH_LENGTH,
  MAX_RATE,
  MAX_REPLAY_SPEED,
  MAX_STAGES,
  MAX_STEPS_PER_FLOW,
  MAX_THRESHOLDS,
  MAX_VUS,
  MAX_WEIGHT,
} from './limits.js';
import { checkReferences } from './references.js';
import {
  headerNameProblem,
  headerValueProblem,
  targetStartProblem,
  targetTextProblem,
} from './request-rules.js';
import { parseTemplate, SECRETS } from './template.js';
import { METRICS } from './threshold.js';

/** A value echoed in a message: long enough to recognise, never the whole of a hostile one. */
const quoted = (value: unknown) => {
  const text = String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
};

const count = (n: number) => n.toLocaleString('en-US');

/** A string of at most `max` characters, saying so in words. */
const text = (max: number) => z.string().max(max, `at most ${count(max)} characters`);

/** A record of at most `max` entries (zod's records have no size check of their own). */
function boundedRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(
  key: K,
  value: V,
  max: number,
  what: string,
) {
  return z
    .record(key, value)
    .refine((record) => Object.keys(record).length <= max, `at most ${count(max)} ${what}`);
}

/** "30s", "1m30s", "500ms": kept as written, checked to be a positive duration of ≤ 7 days. */
export const Duration = z
  .string({ error: 'expected a duration like "30s", "1m30s" or "500ms"' })
  .superRefine((written, ctx) => {
    const ms = written.length > MAX_EXPRESSION_LENGTH ? undefined : parseDuration(written);
    if (ms === undefined || !(ms > 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration like 30s, 1m30s or 500ms, got ${quoted(written)}`,
      });
    } else if (ms > MAX_DURATION_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `at most 7 days (168h), got ${quoted(written)}`,
      });
    }
  });

const Name = text(MAX_NAME_LENGTH).regex(
  /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
  'use letters, digits, "_", "-" and "." (no spaces)',
);

/** Arrivals per second. */
const Rate = z.number().max(MAX_RATE, `at most ${count(MAX_RATE)} a second`);
const InFlight = z
  .number()
  .int()
  .positive()
  .max(MAX_IN_FLIGHT, `at most ${count(MAX_IN_FLIGHT)} in flight`);

export const Stage = z.strictObject({ duration: Duration, target: Rate.min(0) });
export type Stage = z.infer<typeof Stage>;

export const Load = z
  .strictObject({
    rate: Rate.positive().optional(),
    stages: z
      .array(Stage)
      .min(1)
      .max(MAX_STAGES, `at most ${count(MAX_STAGES)} stages`)
      .optional(),
    startRate: Rate.min(0).optional(),
    vus: z
      .number()
      .int()
      .positive()
      .max(MAX_VUS, `at most ${count(MAX_VUS)} VUs`)
      .optional(),
    duration: Duration.optional(),
    maxInFlight: InFlight.optional(),
  })
  .superRefine((load, ctx) => {
    const total = (load.stages ?? []).reduce((sum, s) => sum + (parseDuration(s.duration) ?? 0), 0);
    if (total > MAX_DURATION_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages'],
        message: 'the stages add up to more than 7 days (168h)',
      });
    }
    const models = (['rate', 'stages', 'vus'] as const).filter((k) => load[k] !== undefined);
    if (models.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          models.length === 0
            ? 'choose a load model: rate + duration (open), stages (open, ramping) or vus + duration (closed)'
            : `${models.join(' and ')} cannot be combined; choose one load model`,
      });
      return;
    }
    if ((load.rate !== undefined || load.vus !== undefined) && load.duration === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: `${models[0]} needs a duration`,
      });
    }
    if (load.vus !== undefined && load.maxInFlight !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxInFlight'],
        message: 'applies to the open model only',
      });
    }
  });
export type Load = z.infer<typeof Load>;

export const Feeder = z.strictObject({
  file: text(MAX_PATH_LENGTH).min(1),
  order: z.enum(['sequential', 'random']).default('sequential'),
});
export type Feeder = z.infer<typeof Feeder>;

/** A request template of at most `max` characters, its `${...}` expressions well-formed. */
const Template = (max: number) =>
  text(max).superRefine((written, ctx) => {
    if (written.length > max) return;
    const parts = parseTemplate(written);
    if (typeof parts === 'string') ctx.addIssue({ code: 'custom', message: parts });
  });

/**
 * A `json:` body: nested at most MAX_NESTING deep and at most MAX_BODY_LENGTH characters as
 * JSON. Measured by walking it, stopping at the first bound crossed.
 */
const JsonBody = z.unknown().superRefine((value, ctx) => {
  const problem = jsonBodyProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function jsonBodyProblem(value: unknown): string | undefined {
  // Characters of JSON.stringify(value), counted as it would write them, without writing
  // more than one string at a time.
  let size = 0;
  const visit = (node: unknown, depth: number): string | undefined => {
    if (depth > MAX_NESTING) return `nested deeper than ${MAX_NESTING} levels`;
    if (node === null || typeof node !== 'object') {
      size += (JSON.stringify(node) ?? 'null').length;
      return undefined;
    }
    const entries = Array.isArray(node)
      ? node.map((child) => [undefined, child] as const)
      : Object.entries(node);
    size += 2 + Math.max(0, entries.length - 1);
    for (const [key, child] of entries) {
      if (key !== undefined) size += JSON.stringify(key).length + 1;
      const problem = visit(child, depth + 1);
      if (problem) return problem;
      if (size > MAX_BODY_LENGTH) break;
    }
    return undefined;
  };
  return (
    visit(value, 1) ??
    (size > MAX_BODY_LENGTH ? `at most ${count(MAX_BODY_LENGTH)} characters as JSON` : undefined)
  );
}

/**
 * A request path: starts with one "/" (the target holds scheme and host) or comes whole
 * from a variable (e.g. a Location header); its literal text is sendable as is. What a
 * variable renders to is checked again on every send.
 */
const PathTemplate = Template(MAX_PATH_LENGTH).superRefine((text, ctx) => {
  const parts = parseTemplate(text);
  if (typeof parts === 'string') return;
  const first = parts[0] ?? '';
  const problems = [
    typeof first === 'string' ? targetStartProblem(first) : undefined,
    ...parts.map((part) => (typeof part === 'string' ? targetTextProblem(part) : undefined)),
  ];
  const problem = problems.find((p) => p !== undefined);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Headers a scenario sets: tokens, one-line values, none of loadline's own (see RESERVED_HEADERS). */
const Headers = boundedRecord(
  text(MAX_NAME_LENGTH),
  Template(MAX_HEADER_VALUE_LENGTH),
  MAX_HEADERS,
  'headers',
).superRefine((headers, ctx) => {
  for (const [name, value] of Object.entries(headers)) {
    const parts = parseTemplate(value);
    const literal = typeof parts === 'string' ? [] : parts.filter((p) => typeof p === 'string');
    const problem =
      headerNameProblem(name) ?? literal.map(headerValueProblem).find((p) => p !== undefined);
    if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

export const HttpRequest = z
  .strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
    path: PathTemplate,
    headers: Headers.optional(),
    body: Template(MAX_BODY_LENGTH).optional(),
    json: JsonBody.optional(),
  })
  .refine((r) => !(r.body !== undefined && r.json !== undefined), {
    message: 'give body or json, not both',
    path: ['json'],
  });
export type HttpRequest = z.infer<typeof HttpRequest>;

export const Check = z.strictObject({
  status: z
    .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)])
    .optional(),
  bodyContains: text(MAX_PATH_LENGTH).optional(),
  maxLatency: Duration.optional(),
});
export type Check = z.infer<typeof Check>;

export const Step = z.strictObject({
  name: Name,
  request: HttpRequest,
  extract: boundedRecord(
    text(MAX_NAME_LENGTH).regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      'a variable name is letters, digits and "_"',
    ),
    text(MAX_EXPRESSION_LENGTH).superRefine((written, ctx) => {
      if (written.length > MAX_EXPRESSION_LENGTH) return;
      const spec = parseExtract(written);
      if (typeof spec === 'string') ctx.addIssue({ code: 'custom', message: spec });
    }),
    MAX_EXTRACTS,
    'extracted variables',
  ).optional(),
  check: Check.optional(),
  think: Duration.optional(),
});
export type Step = z.infer<typeof Step>;

export const Flow = z.strictObject({
  name: Name,
  weight: z
    .number()
    .positive()
    .max(MAX_WEIGHT, `at most ${count(MAX_WEIGHT)}`)
    .default(1),
  steps: z
    .array(Step)
    .min(1, 'a flow needs at least one step')
    .max(MAX_STEPS_PER_FLOW, `at most ${count(MAX_STEPS_PER_FLOW)} steps in a flow`),
});
export type Flow = z.infer<typeof Flow>;

/**
 * Replays captured traffic instead of running flows: a corpus stored in control (by
 * `loadline import --api URL --name NAME`), or a corpus file for `loadline run --local`.
 */
export const Replay = z
  .strictObject({
    corpus: Name.optional(),
    version: z.number().int().positive().max(2_147_483_647).optional(),
    file: text(MAX_PATH_LENGTH).min(1).optional(),
    /** original timing × speed (2 = twice as fast); the default is 1 */
    speed: z
      .number()
      .positive()
      .max(MAX_REPLAY_SPEED, `at most ${count(MAX_REPLAY_SPEED)} times as fast`)
      .optional(),
    /** ignore the original timing: send in order at this many requests per second */
    rate: Rate.positive().optional(),
    /** sends in flight at once, whole run; beyond it a send is dropped and counted */
    maxInFlight: InFlight.optional(),
  })
  .superRefine((replay, ctx) => {
    if ((replay.corpus === undefined) === (replay.file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message:
          replay.corpus === undefined
            ? 'name a stored corpus (corpus: NAME) or, for --local, a corpus file (file: corpus.json)'
            : 'give corpus or file, not both',
      });
    }
    if (replay.version !== undefined && replay.corpus === undefined) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: 'applies to a stored corpus' });
    }
    if (replay.speed !== undefined && replay.rate !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'give speed or rate, not both' });
    }
  });
export type Replay = z.infer<typeof Replay>;

/**
 * A k6 script run on the fleet (`loadline run script.js`): the CLI bundles it (esbuild) and
 * runs its init once to read its options and the files open() reads; agents run their
 * share of every scenario in its options (k6's execution segments) from this alone.
 */
export const K6Script = z.strictObject({
  /** the script's file name, as problems and stack traces name it */
  entry: text(MAX_PATH_LENGTH).min(1),
  /** one ES module: the script and its local imports; k6 modules imported at its top */
  code: z.string().min(1),
  /** esbuild's source map of `code`, back to the script's own files and lines */
  map: z.string(),
  /** what open() read in init, by the path the script gave (base64) */
  files: z.record(text(MAX_PATH_LENGTH), z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')),
  /** `-e KEY=VALUE` (and the CLI's environment, as `k6 run`): __ENV on every agent */
  env: z.record(text(MAX_NAME_LENGTH), text(MAX_HEADER_VALUE_LENGTH)).default({}),
  /** `--host NAME=ADDRESS[:PORT]`, over the script's own `hosts` */
  hosts: z.record(text(MAX_PATH_LENGTH), text(MAX_PATH_LENGTH)).default({}),
  /**
   * what the script exports as `options`, as JSON: control plans the run and judges its
   * thresholds by it (each agent's own init reads the same options)
   */
  options: z.record(z.string(), z.unknown()).default({}),
  /** `--vus`, `--iterations`, `--duration` */
  overrides: z
    .strictObject({
      vus: z.number().int().positive().max(MAX_VUS).optional(),
      iterations: z.number().int().positive().optional(),
      duration: text(MAX_NAME_LENGTH).optional(),
    })
    .default({}),
  /** false with `--no-thresholds` */
  thresholds: z.boolean().default(true),
});
export type K6Script = z.infer<typeof K6Script>;

const ThresholdConditions = z
  .array(text(MAX_EXPRESSION_LENGTH))
  .min(1, 'list at least one condition')
  .max(MAX_CONDITIONS, `at most ${MAX_CONDITIONS} conditions`);

export const Guardrail = z
  .object({
    metric: z.enum(METRICS),
    for: Duration.default('1s'),
    step: text(MAX_PATH_LENGTH).optional(),
  })
  .catchall(text(MAX_EXPRESSION_LENGTH));
export type Guardrail = z.infer<typeof Guardrail>;

/**
 * A single-machine capacity run: ramp one service's instance (the target, or a share of
 * traffic behind a gateway) in stages until its SLO, read from the instance's own
 * /metrics that control scrapes (the environment's metricsTargets), holds broken for
 * `for`; control then ends the run and says at which load. At least six load levels.
 */
export const CapacityProbe = z.strictObject({
  /** the service as the environment's metricsTargets name it */
  service: text(MAX_NAME_LENGTH).regex(
    /^[A-Za-z0-9_.-]+$/,
    'use letters, digits, "_", "-" and "."',
  ),
  slo: z
    .strictObject({
      p99Ms: z.number().positive().max(MAX_DURATION_MS, 'at most 7 days in ms').optional(),
      cpuCeiling: z.number().gt(0).max(1).optional(),
    })
    .refine((slo) => slo.p99Ms !== undefined || slo.cpuCeiling !== undefined, {
      message: 'an SLO needs p99Ms, cpuCeiling or both',
    }),
  /** cores of the instance's machine, for the CPU ceiling (default 1) */
  cores: z.number().int().positive().max(MAX_CORES, `at most ${MAX_CORES}`).default(1),
  for: Duration.default('2s'),
});
export type CapacityProbe = z.infer<typeof CapacityProbe>;

export const Scenario = z
  .strictObject({
    name: Name,
    description: text(MAX_DESCRIPTION_LENGTH).optional(),
    target: text(MAX_PATH_LENGTH).pipe(
      z
        .url({ protocol: /^https?$/, error: 'expected an absolute http:// or https:// URL' })
        .refine((url) => !URL.canParse(url) || !new URL(url).pathname.startsWith('//'), {
          // Its path is every request's base path: "//" would name another host.
          message: 'the target\'s path may not start with "//"',
        }),
    ),
    environment: Name.default('local'),
    agents: z
      .number()
      .int()
      .positive()
      .max(MAX_AGENTS, `at most ${count(MAX_AGENTS)}`)
      .default(1),
    shadow: z.boolean().default(false),
    /** flows and their load model; a replay scenario has `replay` instead */
    load: Load.optional(),
    feeders: boundedRecord(
      text(MAX_NAME_LENGTH)
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .refine((name) => name !== SECRETS, '"secrets" names environment secrets, not a feeder'),
      Feeder,
      MAX_FEEDERS,
      'feeders',
    ).default({}),
    flows: z.array(Flow).max(MAX_FLOWS, `at most ${MAX_FLOWS} flows`).default([]),
    replay: Replay.optional(),
    /** a k6 script instead of flows: its options say the load, its thresholds the verdict */
    k6: K6Script.optional(),
    thresholds: boundedRecord(
      text(MAX_EXPRESSION_LENGTH),
      ThresholdConditions,
      MAX_THRESHOLDS,
      'thresholds',
    ).default({}),
    guardrails: z
      .array(Guardrail)
      .max(MAX_GUARDRAILS, `at most ${MAX_GUARDRAILS} guardrails`)
      .default([]),
    capacityProbe: CapacityProbe.optional(),
  })
  .superRefine(checkReferences);
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;
