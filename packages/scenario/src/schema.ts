import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parseExtract } from './extract.js';
import { parseTemplate, templateExpressions } from './template.js';
import { METRICS, parseCondition, parseSelector } from './threshold.js';

/** "30s", "1m30s", "500ms": kept as written, checked to be a positive duration. */
export const Duration = z
  .string({ error: 'expected a duration like "30s", "1m30s" or "500ms"' })
  .refine((text) => (parseDuration(text) ?? 0) > 0, {
    error: (issue) => `expected a duration like 30s, 1m30s or 500ms, got "${issue.input}"`,
  });

const Name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "-" and "." (no spaces)');

export const Stage = z.strictObject({ duration: Duration, target: z.number().min(0) });
export type Stage = z.infer<typeof Stage>;

export const Load = z
  .strictObject({
    rate: z.number().positive().optional(),
    stages: z.array(Stage).min(1).optional(),
    startRate: z.number().min(0).optional(),
    vus: z.number().int().positive().optional(),
    duration: Duration.optional(),
    maxInFlight: z.number().int().positive().optional(),
  })
  .superRefine((load, ctx) => {
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
  file: z.string().min(1),
  order: z.enum(['sequential', 'random']).default('sequential'),
});
export type Feeder = z.infer<typeof Feeder>;

const Template = z.string().superRefine((text, ctx) => {
  const parts = parseTemplate(text);
  if (typeof parts === 'string') ctx.addIssue({ code: 'custom', message: parts });
});

export const HttpRequest = z
  .strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
    path: Template.refine(
      // A path may also come whole from a variable (e.g. a Location header).
      (p) => p.startsWith('/') || p.startsWith('${'),
      'a path starts with "/" (the target holds scheme and host)',
    ),
    headers: z.record(z.string(), Template).optional(),
    body: Template.optional(),
    json: z.unknown().optional(),
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
  bodyContains: z.string().optional(),
  maxLatency: Duration.optional(),
});
export type Check = z.infer<typeof Check>;

export const Step = z.strictObject({
  name: Name,
  request: HttpRequest,
  extract: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name is letters, digits and "_"'),
      z.string().superRefine((text, ctx) => {
        const spec = parseExtract(text);
        if (typeof spec === 'string') ctx.addIssue({ code: 'custom', message: spec });
      }),
    )
    .optional(),
  check: Check.optional(),
  think: Duration.optional(),
});
export type Step = z.infer<typeof Step>;

export const Flow = z.strictObject({
  name: Name,
  weight: z.number().positive().default(1),
  steps: z.array(Step).min(1, 'a flow needs at least one step'),
});
export type Flow = z.infer<typeof Flow>;

/**
 * Replays captured traffic instead of running flows: a corpus stored in control (by
 * `loadline import --api URL --name NAME`), or a corpus file for `loadline run --local`.
 */
export const Replay = z
  .strictObject({
    corpus: Name.optional(),
    version: z.number().int().positive().optional(),
    file: z.string().min(1).optional(),
    /** original timing × speed (2 = twice as fast); the default is 1 */
    speed: z.number().positive().optional(),
    /** ignore the original timing: send in order at this many requests per second */
    rate: z.number().positive().optional(),
    /** sends in flight at once, whole run; beyond it a send is dropped and counted */
    maxInFlight: z.number().int().positive().optional(),
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

const ThresholdConditions = z.array(z.string()).min(1, 'list at least one condition');

export const Guardrail = z
  .object({ metric: z.enum(METRICS), for: Duration.default('1s'), step: z.string().optional() })
  .catchall(z.string());
export type Guardrail = z.infer<typeof Guardrail>;

/**
 * A single-machine capacity run: ramp one service's instance (the target, or a share of
 * traffic behind a gateway) in stages until its SLO, read from the instance's own
 * /metrics that control scrapes (the environment's metricsTargets), holds broken for
 * `for`; control then ends the run and says at which load. At least six load levels.
 */
export const CapacityProbe = z.strictObject({
  /** the service as the environment's metricsTargets name it */
  service: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "-" and "."'),
  slo: z
    .strictObject({
      p99Ms: z.number().positive().optional(),
      cpuCeiling: z.number().gt(0).max(1).optional(),
    })
    .refine((slo) => slo.p99Ms !== undefined || slo.cpuCeiling !== undefined, {
      message: 'an SLO needs p99Ms, cpuCeiling or both',
    }),
  /** cores of the instance's machine, for the CPU ceiling (default 1) */
  cores: z.number().int().positive().default(1),
  for: Duration.default('2s'),
});
export type CapacityProbe = z.infer<typeof CapacityProbe>;

export const Scenario = z
  .strictObject({
    name: Name,
    description: z.string().optional(),
    target: z.url({ protocol: /^https?$/, error: 'expected an absolute http:// or https:// URL' }),
    environment: Name.default('local'),
    agents: z.number().int().positive().max(10_000).default(1),
    shadow: z.boolean().default(false),
    /** flows and their load model; a replay scenario has `replay` instead */
    load: Load.optional(),
    feeders: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), Feeder).default({}),
    flows: z.array(Flow).default([]),
    replay: Replay.optional(),
    thresholds: z.record(z.string(), ThresholdConditions).default({}),
    guardrails: z.array(Guardrail).default([]),
    capacityProbe: CapacityProbe.optional(),
  })
  .superRefine(checkReferences);
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/** Exactly one of `load` + `flows` (flows) or `replay` (captured traffic). */
function checkModel(scenario: Scenario, ctx: z.RefinementCtx): void {
  if (scenario.replay !== undefined) {
    const extra = (['load', 'flows', 'feeders'] as const).filter((key) =>
      key === 'load'
        ? scenario.load !== undefined
        : key === 'flows'
          ? scenario.flows.length > 0
          : Object.keys(scenario.feeders).length > 0,
    );
    for (const key of extra) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message:
          'a replay scenario sends captured requests; give load + flows, or replay, not both',
      });
    }
    return;
  }
  if (scenario.load === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['load'],
      message:
        'is required (a load model), with flows; or give replay: { corpus: NAME } to replay captured traffic',
    });
  }
  if (scenario.flows.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['flows'],
      message: 'a scenario needs at least one flow',
    });
  }
}

/** Cross-field rules zod cannot express field by field. */
function checkReferences(scenario: Scenario, ctx: z.RefinementCtx): void {
  checkModel(scenario, ctx);
  if (scenario.capacityProbe && (scenario.load?.stages?.length ?? 0) < 6) {
    ctx.addIssue({
      code: 'custom',
      path: ['capacityProbe'],
      message: 'a capacity probe ramps in stages: give load.stages with at least six load levels',
    });
  }
  // A replay's steps are its corpus's request templates, known when the corpus is loaded.
  const replay = scenario.replay !== undefined;
  const flowNames = new Set<string>();
  const stepNames = new Set<string>();
  scenario.flows.forEach((flow, f) => {
    if (flowNames.has(flow.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['flows', f, 'name'],
        message: `flow "${flow.name}" is defined twice`,
      });
    }
    flowNames.add(flow.name);
    const known = new Set<string>();
    flow.steps.forEach((step, s) => {
      const at = ['flows', f, 'steps', s];
      if (stepNames.has(step.name)) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'name'],
          message: `step "${step.name}" is already used; step names are unique per scenario (thresholds select by them)`,
        });
      }
      stepNames.add(step.name);
      const templates: Array<[Array<string | number>, string]> = [
        [[...at, 'request', 'path'], step.request.path],
      ];
      for (const [name, value] of Object.entries(step.request.headers ?? {})) {
        templates.push([[...at, 'request', 'headers', name], value]);
      }
      if (step.request.body !== undefined)
        templates.push([[...at, 'request', 'body'], step.request.body]);
      for (const [path, text] of templates) {
        const parts = parseTemplate(text);
        if (typeof parts === 'string') continue;
        for (const expression of templateExpressions(parts)) {
          if (expression.kind === 'variable' && !known.has(expression.name)) {
            ctx.addIssue({
              code: 'custom',
              path,
              message: `"\${${expression.name}}" is not extracted by an earlier step of flow "${flow.name}"`,
            });
          }
          if (expression.kind === 'feeder' && !(expression.feeder in scenario.feeders)) {
            ctx.addIssue({
              code: 'custom',
              path,
              message: `feeder "${expression.feeder}" is not defined under feeders`,
            });
          }
        }
      }
      for (const name of Object.keys(step.extract ?? {})) known.add(name);
    });
  });

  for (const [selectorText, conditions] of Object.entries(scenario.thresholds)) {
    const selector = parseSelector(selectorText);
    if (typeof selector === 'string') {
      ctx.addIssue({ code: 'custom', path: ['thresholds', selectorText], message: selector });
      continue;
    }
    if (!replay && selector.tags.step !== undefined && !stepNames.has(selector.tags.step)) {
      ctx.addIssue({
        code: 'custom',
        path: ['thresholds', selectorText],
        message: `no step is named "${selector.tags.step}"`,
      });
    }
    if (selector.tags.flow !== undefined && !flowNames.has(selector.tags.flow)) {
      ctx.addIssue({
        code: 'custom',
        path: ['thresholds', selectorText],
        message: `no flow is named "${selector.tags.flow}"`,
      });
    }
    conditions.forEach((text, i) => {
      const condition = parseCondition(selector.metric, text);
      if (typeof condition === 'string') {
        ctx.addIssue({ code: 'custom', path: ['thresholds', selectorText, i], message: condition });
      }
    });
  }

  scenario.guardrails.forEach((guardrail, g) => {
    const conditions = Object.entries(guardrail).filter(
      ([key]) => !['metric', 'for', 'step'].includes(key),
    );
    if (conditions.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['guardrails', g],
        message: 'a guardrail has exactly one condition, e.g. rate: ">0.2" or "p(99)": ">2000"',
      });
      return;
    }
    const [aggregation, comparison] = conditions[0] as [string, string];
    const condition = parseCondition(guardrail.metric, `${aggregation}${comparison}`);
    if (typeof condition === 'string') {
      ctx.addIssue({ code: 'custom', path: ['guardrails', g, aggregation], message: condition });
    }
    if (!replay && guardrail.step !== undefined && !stepNames.has(guardrail.step)) {
      ctx.addIssue({
        code: 'custom',
        path: ['guardrails', g, 'step'],
        message: `no step is named "${guardrail.step}"`,
      });
    }
  });
}
