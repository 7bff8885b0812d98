import type { z } from 'zod';
import type { Scenario } from './schema.js';
import { parseTemplate, templateExpressions } from './template.js';
import { parseCondition, parseSelector } from './threshold.js';

/** Exactly one of `load` + `flows` (flows), `replay` (captured traffic) or `k6` (a script). */
function checkModel(scenario: Scenario, ctx: z.RefinementCtx): void {
  if (scenario.k6 !== undefined) {
    const given = {
      load: scenario.load !== undefined,
      flows: scenario.flows.length > 0,
      feeders: Object.keys(scenario.feeders).length > 0,
      replay: scenario.replay !== undefined,
      thresholds: Object.keys(scenario.thresholds).length > 0,
      guardrails: scenario.guardrails.length > 0,
      capacityProbe: scenario.capacityProbe !== undefined,
      shadow: scenario.shadow,
    };
    for (const [key, present] of Object.entries(given)) {
      if (!present) continue;
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message:
          'a k6 scenario runs its script: its options say the load and its thresholds the verdict',
      });
    }
    return;
  }
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
export function checkReferences(scenario: Scenario, ctx: z.RefinementCtx): void {
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
