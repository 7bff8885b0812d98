/**
 * Request templates: `/api/products/${productId}?page=${random(1,20)}`. A template is
 * parsed once into literal and expression parts; validation knows which variables each
 * step may use (feeder columns, values extracted by earlier steps, built-ins).
 */

export type TemplateExpression =
  | { kind: 'variable'; name: string }
  | { kind: 'feeder'; feeder: string; column: string }
  | { kind: 'random'; min: number; max: number }
  | { kind: 'uuid' }
  | { kind: 'iteration' }
  | { kind: 'runId' };

export type TemplatePart = string | TemplateExpression;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
