// Key completion for the scenario YAML: which mapping the cursor line sits in, found from
// the indentation and "- " list markers of the lines above it (a heuristic over the text,
// not a YAML parse, so it works while the document is half typed).

export interface KeyInfo {
  label: string;
  detail: string;
}

const keys = (entries: Array<[string, string]>): KeyInfo[] =>
  entries.map(([label, detail]) => ({ label, detail }));

export const SCENARIO_KEYS: Record<string, KeyInfo[]> = {
  top: keys([
    ['name', 'scenario name'],
    ['description', 'free text'],
    ['target', 'base URL, http(s)://host'],
    ['environment', 'environment name (default local)'],
    ['agents', 'number of agents (default 1)'],
    ['shadow', 'shadow traffic flag'],
    ['load', 'load model: rate, stages or vus'],
    ['feeders', 'data files for ${feeder.column}'],
    ['flows', 'weighted user journeys'],
    ['thresholds', 'pass/fail conditions per metric'],
    ['guardrails', 'abort the run when breached'],
  ]),
  load: keys([
    ['rate', 'open model: arrivals per second'],
    ['stages', 'open model: ramps of duration + target'],
    ['startRate', 'rate at the start of the first stage'],
    ['vus', 'closed model: virtual users'],
    ['duration', 'run length, e.g. 30s'],
    ['maxInFlight', 'cap on concurrent requests (open model)'],
  ]),
  stage: keys([
    ['duration', 'length of this ramp'],
    ['target', 'rate reached at its end'],
  ]),
  flow: keys([
    ['name', 'flow name'],
    ['weight', 'share of arrivals (default 1)'],
    ['steps', 'requests in order'],
  ]),
  step: keys([
    ['name', 'step name, unique per scenario'],
    ['request', 'method, path, headers, body/json'],
    ['extract', 'variables from the response'],
    ['check', 'status, bodyContains, maxLatency'],
    ['think', 'pause after the step, e.g. 1s'],
  ]),
  request: keys([
    ['method', 'GET, POST, PUT, PATCH, DELETE…'],
    ['path', 'starts with /; templates allowed'],
    ['headers', 'header name → value'],
    ['body', 'raw request body'],
    ['json', 'JSON request body'],
  ]),
  check: keys([
    ['status', 'expected status code(s)'],
    ['bodyContains', 'text the body must contain'],
    ['maxLatency', 'slowest acceptable response'],
  ]),
  feeder: keys([
    ['file', 'CSV or JSON file'],
    ['order', 'sequential or random'],
  ]),
};

interface LineInfo {
  indent: number;
  dash: boolean;
  /** column where the line's mapping key (if any) starts */
  col: number;
  key?: string;
}

function info(text: string | undefined): LineInfo | null {
  if (text === undefined || /^\s*(#.*)?$/.test(text)) return null;
  const m = /^( *)(- +)?(?:([A-Za-z_][\w.-]*)\s*:(?:\s|$))?/.exec(text);
  if (!m) return null;
  const indent = m[1]?.length ?? 0;
  return { indent, dash: Boolean(m[2]), col: indent + (m[2]?.length ?? 0), key: m[3] };
}

/** The path of the list whose "- " item at `indent` is on `row`. */
function listOwner(lines: string[], row: number, indent: number): string[] {
  for (let r = row - 1; r >= 0; r--) {
    const l = info(lines[r]);
    if (!l) continue;
    if (l.dash && l.indent === indent) continue; // an earlier item of the same list
    if (l.col <= indent) return l.key ? keyPath(lines, r) : [];
  }
  return [];
}

/** The path of the key written on `row`, e.g. ['flows', '[]', 'steps']. */
function keyPath(lines: string[], row: number): string[] {
  const l = info(lines[row]);
  if (!l?.key) return [];
  const base = l.dash ? [...listOwner(lines, row, l.indent), '[]'] : mappingAt(lines, row, l.col);
  return [...base, l.key];
}

/** The path of the mapping whose keys start at `col`, for a key on `row`. */
function mappingAt(lines: string[], row: number, col: number): string[] {
  for (let r = row - 1; r >= 0; r--) {
    const l = info(lines[r]);
    if (!l) continue;
    if (l.dash && l.col === col) return [...listOwner(lines, r, l.indent), '[]'];
    if (l.col < col) return l.key ? keyPath(lines, r) : [];
  }
  return [];
}

/** The path of the mapping a key typed at the end of the last line would belong to. */
export function pathAtCursor(lines: string[]): string[] {
  const row = lines.length - 1;
  const m = /^( *)(- +)?/.exec(lines[row] ?? '');
  const indent = m?.[1]?.length ?? 0;
  if (m?.[2]) return [...listOwner(lines, row, indent), '[]'];
  return mappingAt(lines, row, indent);
}

/** Which key table applies to a path, or undefined when none does. */
export function keysForPath(path: string[]): KeyInfo[] | undefined {
  const last = path.at(-1);
  const parent = path.at(-2);
  if (path.length === 0) return SCENARIO_KEYS.top;
  if (path.length === 1 && last === 'load') return SCENARIO_KEYS.load;
  if (last === '[]' && parent === 'stages') return SCENARIO_KEYS.stage;
  if (last === '[]' && parent === 'flows') return SCENARIO_KEYS.flow;
  if (last === '[]' && parent === 'steps') return SCENARIO_KEYS.step;
  if (path.length === 2 && path[0] === 'feeders') return SCENARIO_KEYS.feeder;
  if (parent === '[]' && path.at(-3) === 'steps') {
    if (last === 'request') return SCENARIO_KEYS.request;
    if (last === 'check') return SCENARIO_KEYS.check;
  }
  return undefined;
}

/** The keys to offer when the text before the cursor is `before` (all lines up to it). */
export function keyCompletions(
  textBefore: string,
): { word: string; options: KeyInfo[] } | undefined {
  const lines = textBefore.split('\n');
  const current = lines.at(-1) ?? '';
  const m = /^ *(?:- +)?([A-Za-z]*)$/.exec(current);
  if (!m) return undefined;
  const options = keysForPath(pathAtCursor(lines));
  return options ? { word: m[1] ?? '', options } : undefined;
}
