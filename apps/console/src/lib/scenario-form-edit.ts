// One form edit applied to the scenario's YAML document (not to a copy of its data), then
// written back so that untouched text, comments included, stays as it was.
import { formatDuration, parseDuration } from '@loadline/scenario';
import { type Document, isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { detectModel, GUARDRAIL_KEYS, type LoadModel } from './scenario-form';
import { type EditRecord, parseYaml, writeBack } from './yaml-edit';

export type FormEdit =
  | { kind: 'top'; field: 'target' | 'agents' | 'environment'; value: string }
  | { kind: 'shadow'; value: boolean }
  | { kind: 'load'; field: 'rate' | 'duration' | 'vus' | 'startRate'; value: string }
  | { kind: 'model'; model: LoadModel }
  | { kind: 'stage'; index: number; field: 'duration' | 'target'; value: string }
  | { kind: 'stage-add' }
  | { kind: 'stage-remove'; index: number }
  | { kind: 'stage-move'; index: number; by: -1 | 1 }
  | { kind: 'flow'; index: number; field: 'name' | 'weight'; value: string }
  | { kind: 'threshold-add' }
  | { kind: 'threshold-remove'; selector: string }
  | { kind: 'threshold-selector'; selector: string; value: string }
  | { kind: 'threshold-conditions'; selector: string; value: string }
  | { kind: 'guardrail-add' }
  | { kind: 'guardrail-remove'; index: number }
  | {
      kind: 'guardrail';
      index: number;
      field: 'metric' | 'condition' | 'for' | 'step';
      value: string;
    };

export type EditResult = { ok: true; text: string } | { ok: false; message: string };

const TOP_ORDER = [
  'name',
  'description',
  'target',
  'environment',
  'agents',
  'shadow',
  'load',
  'feeders',
  'flows',
  'thresholds',
  'guardrails',
];
const LOAD_ORDER = ['rate', 'startRate', 'stages', 'vus', 'duration', 'maxInFlight'];
const GUARDRAIL_ORDER = ['metric', 'step', '*', 'for'];

class Edit {
  readonly record: EditRecord = { scalars: [], structural: false };
  constructor(readonly doc: Document.Parsed) {}

  /** A map at `key` of `parent`, created (in order) when missing or not a map. */
  map(parent: YAMLMap, key: string, order: string[]): YAMLMap {
    const found = parent.get(key, true);
    if (isMap(found)) return found;
    const made = new YAMLMap();
    this.set(parent, key, made, order);
    return made;
  }

  seq(parent: YAMLMap, key: string, order: string[]): YAMLSeq {
    const found = parent.get(key, true);
    if (isSeq(found)) return found;
    const made = new YAMLSeq();
    this.set(parent, key, made, order);
    return made;
  }

  /** Sets `key` (undefined deletes it); a new key goes after the keys `order` puts before it. */
  set(map: YAMLMap, key: string, value: unknown, order: string[]): void {
    const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (value === undefined) {
      if (pair) this.remove(map.items, map.items.indexOf(pair));
      return;
    }
    if (pair && isScalar(pair.value) && !(value instanceof Object)) {
      this.scalar(pair.value, value);
      return;
    }
    this.record.structural = true;
    const node = value instanceof Object ? value : this.doc.createNode(value);
    if (pair) {
      pair.value = node;
      return;
    }
    const rank = (k: unknown) => {
      const i = order.indexOf(String(k));
      return i === -1 ? order.indexOf('*') : i;
    };
    const after = map.items.findLastIndex(
      (p) => rank(isScalar(p.key) ? p.key.value : '') < rank(key),
    );
    map.items.splice(after + 1, 0, new Pair(this.doc.createNode(key), node));
  }

  scalar(node: Scalar, value: unknown): void {
    if (node.value === value) return;
    node.value = value;
    this.record.scalars.push({ node, value });
  }

  remove<T>(items: T[], index: number): void {
    if (index < 0 || index >= items.length) return;
    items.splice(index, 1);
    this.record.structural = true;
  }

  root(): YAMLMap {
    if (!isMap(this.doc.contents)) throw new Error('a scenario is a mapping');
    return this.doc.contents;
  }
}

/** A number when the text is one, else the text itself (the schema then says what is wrong). */
function numeric(value: string): number | string {
  const trimmed = value.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : value;
}
const optional = <T>(value: string, convert: (v: string) => T): T | undefined =>
  value.trim() === '' ? undefined : convert(value);

const flowItem = (seq: YAMLSeq): boolean => {
  const last = seq.items.at(-1);
  return last === undefined || !isMap(last) || last.flow === true;
};

function item(edit: Edit, path: Array<string | number>): YAMLMap {
  const node = edit.doc.getIn(path, true);
  if (!isMap(node)) throw new Error(`nothing to edit at ${path.join('.')}`);
  return node;
}

function stages(edit: Edit): YAMLSeq {
  const load = edit.map(edit.root(), 'load', TOP_ORDER);
  return edit.seq(load, 'stages', LOAD_ORDER);
}

function stageNode(edit: Edit, duration: unknown, target: unknown, flow: boolean): YAMLMap {
  const node = edit.doc.createNode({ duration, target }) as YAMLMap;
  node.flow = flow;
  return node;
}

function switchModel(edit: Edit, to: LoadModel): void {
  const load = edit.map(edit.root(), 'load', TOP_ORDER);
  const raw = (load.toJS(edit.doc) ?? {}) as Record<string, unknown>;
  const from = detectModel(raw);
  if (from === to) return;
  const list = Array.isArray(raw.stages) ? (raw.stages as Array<Record<string, unknown>>) : [];
  const ms = (d: unknown) => parseDuration(String(d ?? '')) ?? 0;
  const total = from === 'stages' ? list.reduce((sum, s) => sum + ms(s.duration), 0) : 0;
  const duration =
    typeof raw.duration === 'string' ? raw.duration : total > 0 ? formatDuration(total) : '30s';
  const levels = list.map((s) => Number(s.target)).filter(Number.isFinite);
  const level = from === 'stages' ? Math.max(0, ...levels) : Number(raw[from ?? 'rate']);
  const known = Number.isFinite(level) && level > 0 ? level : 10;
  for (const key of ['rate', 'stages', 'startRate', 'vus']) edit.set(load, key, undefined, []);
  if (to === 'stages') {
    load.flow = false;
    edit.set(load, 'startRate', from === undefined ? 0 : known, LOAD_ORDER);
    const seq = new YAMLSeq();
    seq.items.push(stageNode(edit, duration, known, true));
    edit.set(load, 'stages', seq, LOAD_ORDER);
    edit.set(load, 'duration', undefined, LOAD_ORDER);
    return;
  }
  edit.set(load, to, to === 'vus' ? Math.max(1, Math.round(known)) : known, LOAD_ORDER);
  edit.set(load, 'duration', duration, LOAD_ORDER);
  if (to === 'vus') edit.set(load, 'maxInFlight', undefined, LOAD_ORDER);
}

function threshold(edit: Edit, selector: string): Pair<Scalar, unknown> {
  const map = edit.map(edit.root(), 'thresholds', TOP_ORDER);
  const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === selector);
  if (!pair) throw new Error(`no threshold "${selector}"`);
  return pair as Pair<Scalar, unknown>;
}

const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');

function setConditions(edit: Edit, selector: string, value: string): void {
  const pair = threshold(edit, selector);
  const wanted = splitList(value);
  if (!isSeq(pair.value)) {
    edit.record.structural = true;
    pair.value = edit.doc.createNode(wanted, { flow: true });
    return;
  }
  const seq = pair.value;
  const type = isScalar(seq.items[0]) ? seq.items[0].type : Scalar.QUOTE_DOUBLE;
  wanted.forEach((condition, i) => {
    const node = seq.items[i];
    if (isScalar(node)) {
      edit.scalar(node, condition);
      return;
    }
    const made = new Scalar(condition);
    made.type = type;
    seq.items[i] = made;
    edit.record.structural = true;
  });
  while (seq.items.length > wanted.length) edit.remove(seq.items, seq.items.length - 1);
}

function addThreshold(edit: Edit): void {
  const data = (edit.doc.toJS() ?? {}) as {
    thresholds?: Record<string, unknown>;
    flows?: Array<{ name?: unknown; steps?: Array<{ name?: unknown }> }>;
  };
  const used = new Set(Object.keys(data.thresholds ?? {}));
  const flows = Array.isArray(data.flows) ? data.flows : [];
  const steps = flows.flatMap((f) => (Array.isArray(f.steps) ? f.steps.map((s) => s.name) : []));
  const candidates: Array<[string, string]> = [
    ['errors', 'rate<0.01'],
    ['latency', 'p(95)<500'],
    ['checks', 'rate>0.99'],
    ...steps.map((s): [string, string] => [`latency{step:${s}}`, 'p(95)<500']),
    ...flows.map((f): [string, string] => [`errors{flow:${f.name}}`, 'rate<0.01']),
  ];
  const next = candidates.find(([selector]) => !used.has(selector));
  if (!next) throw new Error('every suggested selector has a threshold; add more in the YAML');
  const map = edit.map(edit.root(), 'thresholds', TOP_ORDER);
  const conditions = edit.doc.createNode([next[1]], { flow: true }) as YAMLSeq<Scalar>;
  for (const c of conditions.items) c.type = Scalar.QUOTE_DOUBLE;
  const key = new Scalar(next[0]);
  if (map.items.some((p) => isScalar(p.key) && p.key.type === Scalar.QUOTE_DOUBLE)) {
    key.type = Scalar.QUOTE_DOUBLE;
  }
  map.items.push(new Pair(key, conditions));
  edit.record.structural = true;
}

function renameThreshold(edit: Edit, selector: string, value: string): void {
  const to = value.trim();
  if (to === '') throw new Error('enter a metric selector, e.g. latency{step:detail}');
  if (to === selector) return;
  const map = edit.map(edit.root(), 'thresholds', TOP_ORDER);
  if (map.has(to)) throw new Error(`"${to}" already has a threshold`);
  edit.scalar(threshold(edit, selector).key, to);
}

const CONDITION = /^\s*([^<>=!\s]+)\s*(.*?)\s*$/;

function setGuardrailCondition(edit: Edit, rail: YAMLMap, value: string): void {
  const match = CONDITION.exec(value);
  const key = match?.[1] ?? '';
  if (key === '' || GUARDRAIL_KEYS.includes(key)) {
    throw new Error('enter a condition like rate>0.2 or p(99)>2000');
  }
  const comparison = match?.[2] ?? '';
  const pair = rail.items.find(
    (p) => isScalar(p.key) && !GUARDRAIL_KEYS.includes(String(p.key.value)),
  );
  if (!pair || !isScalar(pair.key)) {
    edit.set(rail, key, comparison, GUARDRAIL_ORDER);
    return;
  }
  if (String(pair.key.value) !== key && rail.has(key)) {
    throw new Error(`this guardrail already has a "${key}" condition`);
  }
  edit.scalar(pair.key, key);
  if (isScalar(pair.value)) edit.scalar(pair.value, comparison);
  else edit.set(rail, key, comparison, GUARDRAIL_ORDER);
}

function addGuardrail(edit: Edit): void {
  const seq = edit.seq(edit.root(), 'guardrails', TOP_ORDER);
  const node = edit.doc.createNode({ metric: 'errors', rate: '>0.2', for: '10s' }) as YAMLMap;
  node.flow = flowItem(seq);
  seq.items.push(node);
  edit.record.structural = true;
}

function apply(edit: Edit, e: FormEdit): void {
  const root = edit.root();
  switch (e.kind) {
    case 'top': {
      const value =
        e.field === 'agents'
          ? optional(e.value, numeric)
          : e.field === 'environment'
            ? optional(e.value, String)
            : e.value;
      edit.set(root, e.field, value, TOP_ORDER);
      return;
    }
    case 'shadow':
      edit.set(root, 'shadow', e.value || root.has('shadow') ? e.value : undefined, TOP_ORDER);
      return;
    case 'load': {
      const load = edit.map(root, 'load', TOP_ORDER);
      const value =
        e.field === 'duration'
          ? e.value
          : e.field === 'startRate'
            ? optional(e.value, numeric)
            : numeric(e.value);
      edit.set(load, e.field, value, LOAD_ORDER);
      return;
    }
    case 'model':
      switchModel(edit, e.model);
      return;
    case 'stage':
      edit.set(
        item(edit, ['load', 'stages', e.index]),
        e.field,
        e.field === 'target' ? numeric(e.value) : e.value,
        ['duration', 'target'],
      );
      return;
    case 'stage-add': {
      const seq = stages(edit);
      const last = (seq.items.at(-1) as YAMLMap | undefined)?.toJS(edit.doc) ?? {};
      seq.items.push(stageNode(edit, last.duration ?? '30s', last.target ?? 10, flowItem(seq)));
      edit.record.structural = true;
      return;
    }
    case 'stage-remove':
      edit.remove(stages(edit).items, e.index);
      return;
    case 'stage-move': {
      const items = stages(edit).items;
      const to = e.index + e.by;
      if (to < 0 || to >= items.length || e.index >= items.length) return;
      const [moved] = items.splice(e.index, 1);
      items.splice(to, 0, moved);
      edit.record.structural = true;
      return;
    }
    case 'flow': {
      const value = e.field === 'weight' ? optional(e.value, numeric) : e.value;
      edit.set(item(edit, ['flows', e.index]), e.field, value, ['name', 'weight', 'steps']);
      return;
    }
    case 'threshold-add':
      addThreshold(edit);
      return;
    case 'threshold-remove': {
      const map = edit.map(root, 'thresholds', TOP_ORDER);
      edit.remove(map.items, map.items.indexOf(threshold(edit, e.selector)));
      return;
    }
    case 'threshold-selector':
      renameThreshold(edit, e.selector, e.value);
      return;
    case 'threshold-conditions':
      setConditions(edit, e.selector, e.value);
      return;
    case 'guardrail-add':
      addGuardrail(edit);
      return;
    case 'guardrail-remove':
      edit.remove(edit.seq(root, 'guardrails', TOP_ORDER).items, e.index);
      return;
    case 'guardrail': {
      const rail = item(edit, ['guardrails', e.index]);
      if (e.field === 'condition') {
        setGuardrailCondition(edit, rail, e.value);
        return;
      }
      const value = e.field === 'metric' ? e.value : optional(e.value, String);
      edit.set(rail, e.field, value, GUARDRAIL_ORDER);
      return;
    }
  }
}

/** The scenario text after one form edit, or why the edit cannot be made. */
export function applyEdit(source: string, e: FormEdit): EditResult {
  const { doc } = parseYaml(source);
  if (doc.errors.length > 0) return { ok: false, message: 'fix the YAML first' };
  const edit = new Edit(doc);
  try {
    apply(edit, e);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, text: writeBack(source, doc, edit.record) };
}
