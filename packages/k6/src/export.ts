/**
 * A scenario as a k6 script of the same model (`loadline export k6`): one arrival-rate (open)
 * or constant-vus (closed) scenario per flow, its share of the load by weight; steps as
 * tagged requests with their checks, extractions and think times; feeders as SharedArrays;
 * thresholds and guardrails as k6 thresholds; secrets from __ENV. Pure: it returns the text
 * and what maps only approximately, and refuses what k6 cannot express, every problem at once.
 */
import {
  type ExtractSpec,
  type Flow,
  type HttpRequest,
  parseExtract,
  type Scenario,
  type Step,
  secretsOf,
  stepTemplateTexts,
  templateExpressions,
} from '@loadline/scenario';
import {
  COUNTERS,
  code,
  durationMs,
  helpers,
  js,
  jsonBody,
  key,
  parsed,
  quote,
  SETUP,
  template,
} from './export-js.js';
import { type K6ExportProblem, scenarioNames, scenarios, thresholds } from './export-load.js';

export type { K6ExportProblem } from './export-load.js';

export interface K6ExportOptions {
  /** each feeder's file as the script's open() reads it (relative to the script); default as written */
  feederPaths?: Readonly<Record<string, string>>;
  /** the scenario's file, named in the script's first line */
  source?: string;
}

export interface K6Export {
  script: string;
  /** what maps only approximately, one sentence each */
  warnings: string[];
}

export class K6ExportError extends Error {
  constructor(readonly problems: K6ExportProblem[]) {
    super(problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; '));
    this.name = 'K6ExportError';
  }
}

const METHOD_CALL: Record<string, string> = {
  POST: 'post',
  PUT: 'put',
  PATCH: 'patch',
  DELETE: 'del',
  OPTIONS: 'options',
};

function requestCall(request: HttpRequest, tags: string, uses: Set<string>): string {
  const url = template(parsed(request.path), uses, '${BASE}');
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    headers[name] = code(template(parsed(value), uses));
  }
  let body = 'null';
  if (request.json !== undefined) {
    body = `JSON.stringify(${js(jsonBody(request.json, uses), '  ')})`;
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
  } else if (request.body !== undefined) body = template(parsed(request.body), uses);
  const params = js(
    { ...(Object.keys(headers).length > 0 ? { headers } : {}), tags: code(tags) },
    '  ',
  );
  const method = request.method;
  if ((method === 'GET' || method === 'HEAD') && body === 'null') {
    return `http.${method.toLowerCase()}(${url}, ${params})`;
  }
  const call = METHOD_CALL[method];
  return call
    ? `http.${call}(${url}, ${body}, ${params})`
    : `http.request(${quote(method)}, ${url}, ${body}, ${params})`;
}

function extraction(spec: ExtractSpec, uses: Set<string>): string {
  switch (spec.from) {
    case 'json': {
      uses.add('jsonValue');
      // gjson: dot-separated; a backslash makes any character of a key literal.
      const path = spec.path
        .map((k) => (typeof k === 'number' ? String(k) : k.replace(/[^A-Za-z0-9_$-]/g, '\\$&')))
        .join('.');
      return `jsonValue(res, ${quote(path)})`;
    }
    case 'header':
      uses.add('headerValue');
      return `headerValue(res, ${quote(spec.name)})`;
    case 'regex':
      uses.add('regexValue');
      return `regexValue(res, ${quote(spec.pattern)})`;
  }
}

function checks(step: Step): string[] {
  const check = step.check;
  if (!check) return [];
  const out: string[] = [];
  if (check.status !== undefined) {
    const codes = Array.isArray(check.status) ? check.status : [check.status];
    out.push(
      `${quote(`${step.name}: status ${codes.join(' or ')}`)}: (r) => ${codes.length === 1 ? `r.status === ${codes[0]}` : `[${codes.join(', ')}].includes(r.status)`}`,
    );
  }
  if (check.bodyContains !== undefined) {
    const shown =
      check.bodyContains.length > 40 ? `${check.bodyContains.slice(0, 40)}…` : check.bodyContains;
    out.push(
      `${quote(`${step.name}: body contains ${JSON.stringify(shown)}`)}: (r) => typeof r.body === 'string' && r.body.includes(${quote(check.bodyContains)})`,
    );
  }
  if (check.maxLatency !== undefined) {
    out.push(
      `${quote(`${step.name}: latency <= ${check.maxLatency}`)}: (r) => r.timings.duration <= ${durationMs(check.maxLatency)}`,
    );
  }
  return out;
}

function stepCode(step: Step, flow: Flow, last: boolean, counters: Set<string>, uses: Set<string>) {
  const tags = js({ name: step.name, flow: flow.name });
  const lines = [`  // ${step.name}`, `  res = ${requestCall(step.request, tags, uses)};`];
  if (counters.has('errors')) {
    lines.push(`  ${COUNTERS.errors}.add(res.status >= 200 && res.status < 400 ? 0 : 1, ${tags});`);
  }
  lines.push('  if (res.status === 0) return;');
  const list = checks(step);
  if (list.length > 0) {
    const fn = counters.has('checksFailed') ? 'checkCounted' : 'check';
    uses.add(fn);
    lines.push(`  ${fn}(res, {\n${list.map((c) => `    ${c},`).join('\n')}\n  }, ${tags});`);
  }
  const extracted = Object.entries(step.extract ?? {}).map(([name, text]) => {
    const spec = parseExtract(text) as ExtractSpec;
    lines.push(`  vars.${name} = ${extraction(spec, uses)};`);
    return `vars.${name} === undefined`;
  });
  if (extracted.length > 0) lines.push(`  if (${extracted.join(' || ')}) return;`);
  if (step.think !== undefined && !last) {
    uses.add('sleep');
    lines.push(`  sleep(${durationMs(step.think) / 1000});`);
  }
  return lines.join('\n');
}

/** Feeders a flow's templates read, each once, in order of use. */
function feedersOf(flow: Flow): string[] {
  const names = new Set<string>();
  for (const step of flow.steps) {
    for (const text of stepTemplateTexts(step.request)) {
      for (const e of templateExpressions(parsed(text)))
        if (e.kind === 'feeder') names.add(e.feeder);
    }
  }
  return [...names];
}

function flowCode(
  scenario: Scenario,
  flow: Flow,
  exec: string,
  counters: Set<string>,
  uses: Set<string>,
): string {
  const used = new Set<string>();
  const body = flow.steps.map((step, i) =>
    stepCode(step, flow, i === flow.steps.length - 1, counters, used),
  );
  const head = flow.steps.some((s) => s.extract !== undefined)
    ? ['  /** @type {Record<string, string | undefined>} */', '  const vars = {};']
    : [];
  const feeders = feedersOf(flow);
  if (feeders.length > 0) {
    used.add('exec').add('nextRow');
    const rows = feeders.map(
      (name) =>
        `${name}: nextRow(feeders.${name}, ${quote(scenario.feeders[name]?.order ?? 'sequential')})`,
    );
    head.push(`  const rows = { ${rows.join(', ')} };`);
  }
  for (const name of used) uses.add(name);
  const runId = used.has('runId');
  const param = runId ? '/** @param {{ runId: string }} data */\n' : '';
  return `${param}export function ${exec}(${runId ? 'data' : ''}) {\n${head.join('\n')}\n  let res;\n${body.join('\n\n')}\n}`;
}

function refusals(scenario: Scenario): K6ExportProblem[] {
  const problems: K6ExportProblem[] = [];
  if (scenario.replay !== undefined) {
    problems.push({
      path: ['replay'],
      message: 'a replay sends captured traffic Loadline stores; k6 export takes load + flows',
    });
  }
  if (scenario.k6 !== undefined) {
    problems.push({ path: ['k6'], message: 'is a k6 script already: its code is k6.code' });
  }
  if (scenario.shadow) {
    problems.push({
      path: ['shadow'],
      message:
        'shadow tags are signed by control for each run; a k6 script cannot sign them, so its traffic would reach production untagged. Run it with Loadline, or set shadow: false for a target that is not production',
    });
  }
  return problems;
}

/** Turns a validated scenario into a k6 script; throws K6ExportError listing what k6 cannot express. */
export function exportK6(scenario: Scenario, options: K6ExportOptions = {}): K6Export {
  const problems = refusals(scenario);
  if (scenario.load === undefined) {
    if (scenario.replay === undefined && scenario.k6 === undefined) {
      problems.push({ path: ['load'], message: 'is required' });
    }
    throw new K6ExportError(problems);
  }
  const warnings: string[] = [];
  const counters = new Set<string>();
  const uses = new Set<string>();
  const names = scenarioNames(scenario.flows);
  const k6Options = {
    // Loadline sends each step once and reports a redirect as it came back.
    maxRedirects: 0,
    scenarios: scenarios(scenario, names, problems, warnings),
    thresholds: thresholds(scenario, counters, problems, warnings),
  };
  if (problems.length > 0) throw new K6ExportError(problems);
  const flows = scenario.flows.map((flow, i) =>
    flowCode(scenario, flow, names.exec[i] as string, counters, uses),
  );
  noteApproximations(scenario, uses, warnings);
  const script = [
    header(scenario, options, uses, counters),
    `const BASE = ${quote(new URL(scenario.target).href.replace(/\/$/, ''))};`,
    `/** @type {import('k6/options').Options} */\nexport const options = ${js(k6Options)};`,
    ...initCode(scenario, options, counters, uses),
    ...(uses.has('runId') ? [SETUP] : []),
    ...flows,
    ...helpers(uses),
  ].join('\n\n');
  return { script: `${script}\n`, warnings };
}

function noteApproximations(scenario: Scenario, uses: Set<string>, warnings: string[]): void {
  if (scenario.flows.some((f) => f.steps.at(-1)?.think !== undefined)) {
    warnings.push("a flow's last think time is left out: Loadline ends the iteration there");
  }
  const counted = [
    ...(uses.has('nextRow') && Object.values(scenario.feeders).some((f) => f.order === 'sequential')
      ? ['sequential feeders']
      : []),
    ...(uses.has('iteration') ? ['iteration()'] : []),
  ];
  if (counted.length > 0 && scenario.flows.length > 1) {
    warnings.push(
      `${counted.join(' and ')} ${counted[0] === 'iteration()' && counted.length === 1 ? 'counts' : 'count'} iterations per flow (exec.scenario.iterationInTest), not across the run`,
    );
  }
  const latency =
    scenario.flows.some((f) => f.steps.some((s) => s.check?.maxLatency)) ||
    Object.keys(scenario.thresholds).some((t) => t.startsWith('latency')) ||
    scenario.guardrails.some((g) => g.metric === 'latency');
  if (latency && scenario.load?.vus === undefined) {
    warnings.push(
      "latency: k6's http_req_duration runs from each request's actual send, Loadline's open model from its intended send (so k6 does not see time a request waited for the generator)",
    );
  }
  if (scenario.capacityProbe !== undefined) {
    warnings.push("capacityProbe is left out: control judges it on the target's scraped /metrics");
  }
}

function header(
  scenario: Scenario,
  options: K6ExportOptions,
  uses: Set<string>,
  counters: Set<string>,
): string {
  const k6 = ['check', 'sleep'].filter(
    (n) => uses.has(n) || (n === 'check' && uses.has('checkCounted')),
  );
  const imports = [
    k6.length > 0 ? `import { ${k6.join(', ')} } from 'k6';` : undefined,
    Object.keys(scenario.feeders).length > 0 ? "import { SharedArray } from 'k6/data';" : undefined,
    uses.has('exec') ? "import exec from 'k6/execution';" : undefined,
    "import http from 'k6/http';",
    counters.size > 0 ? "import { Counter } from 'k6/metrics';" : undefined,
  ].filter((line) => line !== undefined);
  const from = options.source ? ` (${options.source})` : '';
  return [
    `// k6 script of Loadline scenario ${JSON.stringify(scenario.name)}${from}, written by \`loadline export k6\`.`,
    '// Run it with `k6 run FILE` or `loadline run FILE --local`. One k6 scenario per flow, with',
    "// the flow's share of the load by weight; every request is tagged with its step (name) and flow.",
    ...imports,
  ].join('\n');
}

function initCode(
  scenario: Scenario,
  options: K6ExportOptions,
  counters: Set<string>,
  uses: Set<string>,
): string[] {
  const out: string[] = [];
  const metrics = [...counters].map(
    (c) =>
      `const ${COUNTERS[c as keyof typeof COUNTERS]} = new Counter('${COUNTERS[c as keyof typeof COUNTERS]}');`,
  );
  if (metrics.length > 0)
    out.push(`// Counts k6's Rate metrics cannot give thresholds.\n${metrics.join('\n')}`);
  const secrets = secretsOf(scenario);
  if (secrets.length > 0) {
    uses.add('secret');
    out.push(
      `// Environment secrets: k6 run -e NAME=value (or loadline run -e NAME=value).\nconst SECRETS = ${js(Object.fromEntries(secrets.map((n) => [n, code(`secret(${quote(n)})`)])))};`,
    );
  }
  const feeders = Object.entries(scenario.feeders);
  if (feeders.length > 0) {
    const columns = new Map<string, Set<string>>();
    for (const flow of scenario.flows) {
      for (const step of flow.steps) {
        for (const text of stepTemplateTexts(step.request)) {
          for (const e of templateExpressions(parsed(text))) {
            if (e.kind === 'feeder')
              columns.set(e.feeder, (columns.get(e.feeder) ?? new Set()).add(e.column));
          }
        }
      }
    }
    uses.add('feeder');
    const entries = feeders.map(([name, feeder]) => {
      const path = options.feederPaths?.[name] ?? feeder.file;
      const json = /\.json$/i.test(path);
      if (!json) uses.add('parseCsv');
      const read = json ? `JSON.parse(open(${quote(path)}))` : `parseCsv(open(${quote(path)}))`;
      const used = js([...(columns.get(name) ?? [])]);
      return `${key(name)}: feeder(${quote(name)}, new SharedArray(${quote(name)}, () => ${read}), ${used}),`;
    });
    out.push(
      `// Feeder rows, read once and shared by every VU; open() paths are relative to this script.\n/** @type {Record<string, Record<string, string>[]>} */\nconst feeders = {\n${entries.map((e) => `  ${e}`).join('\n')}\n};`,
    );
  }
  return out;
}
