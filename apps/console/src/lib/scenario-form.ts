// The form view of a scenario: the common fields read from the YAML text (as written, not
// as validated, so a wrong value shows with its problem beside it), and each problem from
// parseScenario matched to the field its path names. Edits live in scenario-form-edit.ts.
import { formatPath, parseScenario, type ScenarioError } from '@loadline/scenario';
import { parseYaml } from './yaml-edit';

export { applyEdit, type EditResult, type FormEdit } from './scenario-form-edit';

export const LOAD_MODELS = ['rate', 'stages', 'vus'] as const;
export type LoadModel = (typeof LOAD_MODELS)[number];

export interface StageRow {
  duration: string;
  target: string;
}

export interface FlowRow {
  name: string;
  weight: string;
  steps: number;
}

export interface ThresholdRow {
  selector: string;
  conditions: string[];
}

export interface GuardrailRow {
  metric: string;
  /** aggregation and comparison as one condition, e.g. `rate>0.2` or `p(99)>2000` */
  condition: string;
  for: string;
  step: string;
}

export interface FormModel {
  name: string;
  target: string;
  agents: string;
  environment: string;
  shadow: boolean;
  /** a replay scenario sends captured traffic: no load model or flows to edit */
  replay: boolean;
  load: {
    model: LoadModel | undefined;
    rate: string;
    duration: string;
    vus: string;
    startRate: string;
    stages: StageRow[];
  };
  flows: FlowRow[];
  thresholds: ThresholdRow[];
  guardrails: GuardrailRow[];
}

export type FormRead =
  | { ok: true; model: FormModel; problems: ScenarioError[] }
  | { ok: false; error: { message: string; line: number; column: number } };

/** Guardrail keys that are not its condition. */
export const GUARDRAIL_KEYS = ['metric', 'for', 'step'];

type Raw = Record<string, unknown>;
const record = (v: unknown): Raw =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export function detectModel(load: Raw): LoadModel | undefined {
  return LOAD_MODELS.find((m) => load[m] !== undefined);
}

function guardrailRow(raw: Raw): GuardrailRow {
  const condition = Object.entries(raw).find(([key]) => !GUARDRAIL_KEYS.includes(key));
  return {
    metric: text(raw.metric),
    condition: condition ? `${condition[0]}${text(condition[1])}` : '',
    for: text(raw.for),
    step: text(raw.step),
  };
}

function toModel(data: Raw): FormModel {
  const load = record(data.load);
  return {
    name: text(data.name),
    target: text(data.target),
    agents: text(data.agents),
    environment: text(data.environment),
    shadow: data.shadow === true,
    replay: data.replay !== undefined,
    load: {
      model: detectModel(load),
      rate: text(load.rate),
      duration: text(load.duration),
      vus: text(load.vus),
      startRate: text(load.startRate),
      stages: list(load.stages).map((s) => ({
        duration: text(record(s).duration),
        target: text(record(s).target),
      })),
    },
    flows: list(data.flows).map((f) => ({
      name: text(record(f).name),
      weight: text(record(f).weight),
      steps: list(record(f).steps).length,
    })),
    thresholds: Object.entries(record(data.thresholds)).map(([selector, conditions]) => ({
      selector,
      conditions: Array.isArray(conditions) ? conditions.map(text) : [text(conditions)],
    })),
    guardrails: list(data.guardrails).map((g) => guardrailRow(record(g))),
  };
}

/** The form model of a scenario's YAML, or where the YAML must be fixed first. */
export function readForm(source: string): FormRead {
  const { doc, lines } = parseYaml(source);
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lines.linePos(first.pos[0]);
    return {
      ok: false,
      error: { message: first.message.split('\n')[0] ?? first.message, line, column: col },
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // yaml's own alias limit: an anchor used too often.
    return { ok: false, error: { message: (error as Error).message, line: 1, column: 1 } };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      error: {
        message: 'a scenario is a mapping (name:, target:, load:, ...)',
        line: 1,
        column: 1,
      },
    };
  }
  const parsed = parseScenario(source);
  return { ok: true, model: toModel(data as Raw), problems: parsed.ok ? [] : parsed.errors };
}

/** Field paths, as parseScenario formats them. */
export const fieldPath = (...path: Array<string | number>): string => formatPath(path);

/** The paths the form shows problems at; rows (`true`) also take their descendants' problems. */
export function formFields(model: FormModel): Map<string, boolean> {
  const fields = new Map<string, boolean>();
  for (const key of ['name', 'target', 'agents', 'environment', 'shadow', 'load', 'flows']) {
    fields.set(key, false);
  }
  for (const key of ['rate', 'duration', 'vus', 'startRate', 'stages']) {
    fields.set(fieldPath('load', key), false);
  }
  model.load.stages.forEach((_, i) => {
    fields.set(fieldPath('load', 'stages', i), true);
    fields.set(fieldPath('load', 'stages', i, 'duration'), false);
    fields.set(fieldPath('load', 'stages', i, 'target'), false);
  });
  model.flows.forEach((_, i) => {
    fields.set(fieldPath('flows', i, 'name'), false);
    fields.set(fieldPath('flows', i, 'weight'), false);
  });
  fields.set('thresholds', false);
  for (const t of model.thresholds) fields.set(fieldPath('thresholds', t.selector), true);
  fields.set('guardrails', false);
  model.guardrails.forEach((_, i) => {
    fields.set(fieldPath('guardrails', i), true);
  });
  return fields;
}

const within = (path: string, field: string): boolean =>
  path.startsWith(`${field}.`) || path.startsWith(`${field}[`);

export interface PlacedProblems {
  /** field path → its problems */
  at: Map<string, ScenarioError[]>;
  /** problems no field of the form shows (steps, feeders, unknown keys…) */
  elsewhere: ScenarioError[];
}

/** Puts each problem beside the form field whose path it names (the deepest that fits). */
export function placeProblems(model: FormModel, problems: ScenarioError[]): PlacedProblems {
  const fields = formFields(model);
  const at = new Map<string, ScenarioError[]>();
  const elsewhere: ScenarioError[] = [];
  for (const problem of problems) {
    let best: string | undefined;
    for (const [field, row] of fields) {
      const fits = problem.path === field || (row && within(problem.path, field));
      if (fits && (best === undefined || field.length > best.length)) best = field;
    }
    if (best === undefined) elsewhere.push(problem);
    else at.set(best, [...(at.get(best) ?? []), problem]);
  }
  return { at, elsewhere };
}
