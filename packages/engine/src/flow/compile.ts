import {
  type ExtractSpec,
  parseDuration,
  parseExtract,
  parseTemplate,
  type Scenario,
  type Step,
  secretsOf,
  stepTemplateTexts,
  type TemplatePart,
  templateExpressions,
} from '@loadline/scenario';
import { type Endpoint, endpointOf } from '../request.js';
import { FeederCursor, FeederError, type FeederRow, loadFeeder } from './feeders.js';
import { type IterationContext, renderTemplate } from './render.js';
import { sendableRequest } from './sendable.js';

/** A JSON body whose string leaves may hold templates. */
type JsonTemplate =
  | { kind: 'literal'; value: unknown }
  | { kind: 'string'; parts: TemplatePart[] }
  | { kind: 'array'; items: JsonTemplate[] }
  | { kind: 'object'; entries: Array<[string, JsonTemplate]> };

export interface CompiledCheck {
  status?: number[];
  bodyContains?: string;
  maxLatencyUs?: number;
}

export interface CompiledStep {
  name: string;
  flow: string;
  method: string;
  extract: Array<[variable: string, spec: ExtractSpec]>;
  check: CompiledCheck | undefined;
  thinkMs: number;
  /** the response head/body is needed (extraction or a body check) */
  capture: boolean;
  /** false when nothing in the request varies: the runner serialises it once */
  dynamic: boolean;
  render(context: IterationContext, extraHeaders: ReadonlyArray<readonly [string, string]>): Buffer;
}

export interface CompiledFlow {
  name: string;
  weight: number;
  steps: CompiledStep[];
  /** feeders whose rows this flow reads: one row of each per iteration */
  feeders: string[];
}

export interface CompiledPlan {
  name: string;
  target: URL;
  endpoint: Endpoint;
  flows: CompiledFlow[];
  /** intended share of iterations per flow (weights normalised) */
  intendedMix: Record<string, number>;
  feeders: Record<string, FeederCursor>;
  /** the environment's secrets the scenario uses, by name */
  secrets: Readonly<Record<string, string>>;
}

function compileJson(value: unknown): JsonTemplate {
  if (typeof value === 'string') {
    const parts = parseTemplate(value);
    if (typeof parts === 'string') throw new Error(parts);
    return parts.length === 1 && typeof parts[0] === 'string'
      ? { kind: 'literal', value }
      : { kind: 'string', parts };
  }
  if (Array.isArray(value)) return { kind: 'array', items: value.map(compileJson) };
  if (value !== null && typeof value === 'object') {
    return {
      kind: 'object',
      entries: Object.entries(value).map(([k, v]) => [k, compileJson(v)]),
    };
  }
  return { kind: 'literal', value };
}

function renderJson(template: JsonTemplate, context: IterationContext): unknown {
  switch (template.kind) {
    case 'literal':
      return template.value;
    case 'string':
      return renderTemplate(template.parts, context);
    case 'array':
      return template.items.map((item) => renderJson(item, context));
    case 'object':
      return Object.fromEntries(template.entries.map(([k, v]) => [k, renderJson(v, context)]));
  }
}

function isStatic(template: JsonTemplate): boolean {
  switch (template.kind) {
    case 'literal':
      return true;
    case 'string':
      return false;
    case 'array':
      return template.items.every(isStatic);
    case 'object':
      return template.entries.every(([, v]) => isStatic(v));
  }
}

function template(text: string): TemplatePart[] {
  const parts = parseTemplate(text);
  // The scenario was validated; a failure here is a bug, not bad input.
  if (typeof parts === 'string') throw new Error(parts);
  return parts;
}

function compileStep(step: Step, flow: string, host: string, basePath: string): CompiledStep {
  const path = template(basePath + step.request.path);
  const headers = Object.entries(step.request.headers ?? {}).map(
    ([name, value]) => [name, template(value)] as const,
  );
  const body =
    step.request.json !== undefined
      ? compileJson(step.request.json)
      : step.request.body !== undefined
        ? ({ kind: 'string', parts: template(step.request.body) } as JsonTemplate)
        : undefined;
  const isJson = step.request.json !== undefined;
  if (isJson && !headers.some(([name]) => name.toLowerCase() === 'content-type')) {
    headers.push(['Content-Type', ['application/json']]);
  }
  const extract = Object.entries(step.extract ?? {}).map(([variable, text]) => {
    const spec = parseExtract(text);
    if (typeof spec === 'string') throw new Error(spec);
    return [variable, spec] as [string, ExtractSpec];
  });
  const check: CompiledCheck | undefined = step.check
    ? {
        ...(step.check.status === undefined
          ? {}
          : { status: Array.isArray(step.check.status) ? step.check.status : [step.check.status] }),
        ...(step.check.bodyContains === undefined ? {} : { bodyContains: step.check.bodyContains }),
        ...(step.check.maxLatency === undefined
          ? {}
          : { maxLatencyUs: (parseDuration(step.check.maxLatency) ?? 0) * 1000 }),
      }
    : undefined;
  const method = step.request.method;

  const render = (
    context: IterationContext,
    extraHeaders: ReadonlyArray<readonly [string, string]>,
  ): Buffer => {
    const renderedHeaders: Array<readonly [string, string]> = headers.map(([name, parts]) => [
      name,
      renderTemplate(parts, context),
    ]);
    let payload: Buffer | undefined;
    if (body !== undefined) {
      const rendered = isJson
        ? JSON.stringify(renderJson(body, context))
        : renderJson(body, context);
      payload = Buffer.from(String(rendered), 'utf8');
    }
    // Rendered values come from feeders and from the target's answers: checked every send.
    return sendableRequest({
      method,
      target: renderTemplate(path, context),
      host,
      headers: renderedHeaders,
      extraHeaders,
      ...(payload === undefined ? {} : { body: payload }),
    });
  };

  const dynamic =
    templateExpressions(path).length > 0 ||
    headers.some(([, parts]) => templateExpressions(parts).length > 0) ||
    (body !== undefined && !isStatic(body));
  return {
    name: step.name,
    flow,
    method,
    extract,
    check,
    thinkMs: step.think === undefined ? 0 : (parseDuration(step.think) ?? 0),
    capture: extract.length > 0 || step.check?.bodyContains !== undefined,
    dynamic,
    render,
  };
}

function feedersOf(steps: Step[]): string[] {
  const names = new Set<string>();
  for (const step of steps) {
    for (const text of stepTemplateTexts(step.request)) {
      const parts = parseTemplate(text);
      if (typeof parts === 'string') continue;
      for (const expression of templateExpressions(parts)) {
        if (expression.kind === 'feeder') names.add(expression.feeder);
      }
    }
  }
  return [...names];
}

export interface CompileOptions {
  /**
   * The scenario file's folder, where feeder files are read (and `allowedDirs`). Without
   * it the compiler never touches the filesystem: every feeder needs `feederRows`.
   */
  baseDir?: string;
  /** further folders feeder files may be read from (`--allow-path`) */
  allowedDirs?: readonly string[];
  shard?: { index: number; count: number };
  /** rows already dealt to this shard (agents get them in the job and read no files) */
  feederRows?: Record<string, FeederRow[]>;
  /** the environment's secrets (an agent opens them from its job); each one used must be here */
  secrets?: Readonly<Record<string, string>>;
}

/**
 * Turns a validated scenario into what the runner executes: templates parsed, checks and
 * think times in numbers, this shard's feeder rows loaded.
 */
export function compileScenario(scenario: Scenario, options: CompileOptions = {}): CompiledPlan {
  const target = new URL(scenario.target);
  const basePath = target.pathname.replace(/\/$/, '');
  const shard = options.shard ?? { index: 0, count: 1 };
  const feeders: Record<string, FeederCursor> = {};
  for (const [name, feeder] of Object.entries(scenario.feeders)) {
    const rows = options.feederRows?.[name];
    if (rows !== undefined) {
      if (rows.length === 0) throw new FeederError(`feeders.${name}: no rows for this shard`);
      feeders[name] = new FeederCursor(rows, feeder.order);
    } else if (options.baseDir === undefined) {
      throw new FeederError(
        `feeders.${name}: no rows were given for it, and this run reads no files (an agent sends only rows its job carries)`,
      );
    } else {
      const files = { baseDir: options.baseDir, allowedDirs: options.allowedDirs ?? [] };
      feeders[name] = loadFeeder(name, feeder, files, shard);
    }
  }
  const secrets = options.secrets ?? {};
  const missing = secretsOf(scenario).filter((name) => secrets[name] === undefined);
  if (missing.length > 0) {
    throw new SecretsMissingError(missing);
  }
  const flows = scenario.flows.map((flow) => ({
    name: flow.name,
    weight: flow.weight,
    steps: flow.steps.map((step) => compileStep(step, flow.name, target.host, basePath)),
    feeders: feedersOf(flow.steps),
  }));
  const totalWeight = flows.reduce((sum, flow) => sum + flow.weight, 0);
  return {
    name: scenario.name,
    target,
    endpoint: endpointOf(target),
    flows,
    secrets,
    intendedMix: Object.fromEntries(flows.map((flow) => [flow.name, flow.weight / totalWeight])),
    feeders,
  };
}

/** A scenario uses environment secrets this run was not given. */
export class SecretsMissingError extends Error {
  constructor(readonly names: readonly string[]) {
    super(
      `the scenario uses ${names.map((n) => `\${secrets.${n}}`).join(', ')}: secrets live in control's environments (\`loadline secret set ENV NAME\`), so run it through control`,
    );
  }
}
