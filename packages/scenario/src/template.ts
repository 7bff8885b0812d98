/**
 * Request templates: `/api/products/${productId}?page=${random(1,20)}`. A template is
 * parsed once into literal and expression parts; validation knows which variables each
 * step may use (feeder columns, values extracted by earlier steps, built-ins).
 */

export type TemplateExpression =
  | { kind: 'variable'; name: string }
  | { kind: 'feeder'; feeder: string; column: string }
  /** `${secrets.NAME}`: a secret of the run's environment (never stored in the scenario) */
  | { kind: 'secret'; name: string }
  | { kind: 'random'; min: number; max: number }
  | { kind: 'uuid' }
  | { kind: 'iteration' }
  | { kind: 'runId' };

export type TemplatePart = string | TemplateExpression;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `${secrets.NAME}` names an environment secret; no feeder may be called `secrets`. */
export const SECRETS = 'secrets';
export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

function parseExpression(source: string): TemplateExpression | string {
  const text = source.trim();
  const call = /^([A-Za-z_]+)\((.*)\)$/.exec(text);
  if (call) {
    const name = call[1] as string;
    const args = (call[2] as string)
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (name === 'random') {
      const [min, max] = args.map(Number);
      if (
        args.length !== 2 ||
        !Number.isInteger(min) ||
        !Number.isInteger(max) ||
        (min as number) > (max as number)
      ) {
        return `random(min,max) takes two integers with min ≤ max, got "${text}"`;
      }
      return { kind: 'random', min: min as number, max: max as number };
    }
    if (name === 'uuid' && args.length === 0) return { kind: 'uuid' };
    if (name === 'iteration' && args.length === 0) return { kind: 'iteration' };
    if (name === 'runId' && args.length === 0) return { kind: 'runId' };
    return `unknown function "${name}()" (expected random(min,max), uuid(), iteration() or runId())`;
  }
  const dotted = text.split('.');
  if (dotted.length === 2 && dotted[0] === SECRETS) {
    const name = dotted[1] as string;
    return SECRET_NAME.test(name)
      ? { kind: 'secret', name }
      : `"\${secrets.${name}}": secret names are upper-case letters, digits and "_" (e.g. API_TOKEN)`;
  }
  if (dotted.length === 2 && IDENT.test(dotted[0] as string) && IDENT.test(dotted[1] as string)) {
    return { kind: 'feeder', feeder: dotted[0] as string, column: dotted[1] as string };
  }
  if (IDENT.test(text)) return { kind: 'variable', name: text };
  return `"\${${source}}" is not a variable, feeder.column or function call`;
}

/** Parses a template; returns the parts or an error message. */
export function parseTemplate(text: string): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  let position = 0;
  while (position < text.length) {
    const start = text.indexOf('${', position);
    if (start === -1) {
      parts.push(text.slice(position));
      break;
    }
    if (start > position) parts.push(text.slice(position, start));
    const end = text.indexOf('}', start);
    if (end === -1) return `unclosed "\${" at character ${start + 1}`;
    const expression = parseExpression(text.slice(start + 2, end));
    if (typeof expression === 'string') return expression;
    parts.push(expression);
    position = end + 1;
  }
  return parts;
}

export function templateExpressions(parts: TemplatePart[]): TemplateExpression[] {
  return parts.filter((p): p is TemplateExpression => typeof p !== 'string');
}

/** Every template text of a step: its path, header values, body, and the strings of a JSON body. */
export function stepTemplateTexts(request: {
  path: string;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  json?: unknown;
}): string[] {
  const texts = [request.path, ...Object.values(request.headers ?? {})];
  if (request.body !== undefined) texts.push(request.body);
  const walk = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(request.json);
  return texts;
}

/** The environment secrets a scenario's requests use (`${secrets.NAME}`), each once. */
export function secretsOf(scenario: {
  flows: ReadonlyArray<{
    steps: ReadonlyArray<{ request: Parameters<typeof stepTemplateTexts>[0] }>;
  }>;
}): string[] {
  const names = new Set<string>();
  for (const flow of scenario.flows) {
    for (const step of flow.steps) {
      for (const text of stepTemplateTexts(step.request)) {
        const parts = parseTemplate(text);
        if (typeof parts === 'string') continue;
        for (const e of templateExpressions(parts)) if (e.kind === 'secret') names.add(e.name);
      }
    }
  }
  return [...names].sort();
}
