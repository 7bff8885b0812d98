/**
 * The k6 transform's vocabulary: which of k6's calls block a VU, the ESTree nodes it reads
 * (acorn's, as plain records) and small readers of them.
 */

/** Calls of k6's modules that block a k6 VU: made awaits here. */
export const BLOCKING_EXPORTS: Readonly<Record<string, ReadonlySet<string>>> = {
  k6: new Set(['sleep', 'group']),
  'k6/http': new Set(['get', 'post', 'put', 'patch', 'del', 'head', 'options', 'request', 'batch']),
};
/** Response methods that make requests (`res.submitForm()`, `res.clickLink()`). */
export const BLOCKING_METHODS = new Set(['submitForm', 'clickLink']);
/** Primitives that run a function argument and await it (`group(name, fn)`). */
export const AWAITING_PRIMITIVES = new Set(['group']);
/** What a blocking call named by a computed key (`http[method](url)`) is called in messages. */
export const DYNAMIC = '[…]';

export type AnyNode = { type: string; start: number; end: number; [key: string]: unknown };
export type FunctionNode = AnyNode & { async: boolean; generator: boolean; body: AnyNode };

export interface ImportBinding {
  module: string;
  /** 'default', '*' or the export's name */
  imported: string;
}

export const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
]);
/** Where a function is a method, found by name: the key of the node holding it. */
export const METHOD_HOLDERS = new Set(['Property', 'MethodDefinition', 'PropertyDefinition']);

export function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as AnyNode).type === 'string';
}

export function childrenOf(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'loc') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) out.push(value);
  }
  return out;
}

export function staticName(key: AnyNode, computed: unknown): string | undefined {
  if (key.type === 'PrivateIdentifier') return `#${key.name as string}`;
  if (!computed && key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return undefined;
}

export function propertyName(member: AnyNode): string | undefined {
  return staticName(member.property as AnyNode, member.computed);
}

export function keyName(owner: AnyNode): string | undefined {
  return staticName(owner.key as AnyNode, owner.computed);
}

export function last(nodes: unknown): AnyNode | undefined {
  const list = nodes as AnyNode[];
  return list[list.length - 1];
}

/** `(0, f)` and `(a?.b)` call `f` and `a?.b`: what a call calls. */
export function calleeOf(call: AnyNode): AnyNode {
  let callee = call.callee as AnyNode;
  for (;;) {
    if (callee.type === 'SequenceExpression') callee = last(callee.expressions) as AnyNode;
    else if (callee.type === 'ChainExpression') callee = callee.expression as AnyNode;
    else return callee;
  }
}

/** The k6 module a CommonJS `require("k6/http")` (esbuild: `__require`) loads. */
export function requiredModule(init: AnyNode | null | undefined): string | undefined {
  if (init?.type !== 'CallExpression') return undefined;
  const callee = init.callee as AnyNode;
  const argument = (init.arguments as AnyNode[])[0];
  if (callee.type !== 'Identifier' || !['require', '__require'].includes(callee.name as string))
    return undefined;
  if (argument?.type !== 'Literal' || typeof argument.value !== 'string') return undefined;
  return argument.value in BLOCKING_EXPORTS ? argument.value : undefined;
}

export function describeCallee(callee: AnyNode): string {
  if (callee.type === 'Identifier') return callee.name as string;
  if (callee.type === 'MemberExpression') {
    const name = propertyName(callee);
    const object = callee.object as AnyNode;
    const prefix = object.type === 'Identifier' ? `${object.name as string}.` : '….';
    return `${prefix}${name ?? '[…]'}`;
  }
  return 'a function';
}

export function functionName(fn: FunctionNode, up: AnyNode | undefined): string {
  if (fn.id) return (fn.id as AnyNode).name as string;
  if (up?.type === 'VariableDeclarator') return ((up.id as AnyNode).name as string) ?? 'function';
  if (up && METHOD_HOLDERS.has(up.type)) return keyName(up) ?? 'method';
  if (up?.type === 'AssignmentExpression' && (up.left as AnyNode).type === 'MemberExpression') {
    return propertyName(up.left as AnyNode) ?? 'a function';
  }
  return 'a function';
}

export function declaredNames(declaration: AnyNode): string[] {
  if (declaration.type === 'VariableDeclaration') {
    return (declaration.declarations as AnyNode[]).flatMap((d) => patternNames(d.id as AnyNode));
  }
  const id = declaration.id as AnyNode | null;
  return id ? [id.name as string] : [];
}

export function patternNames(pattern: AnyNode): string[] {
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name as string];
    case 'ObjectPattern':
      return (pattern.properties as AnyNode[]).flatMap((p) =>
        patternNames((p.type === 'RestElement' ? p.argument : p.value) as AnyNode),
      );
    case 'ArrayPattern':
      return (pattern.elements as Array<AnyNode | null>).flatMap((e) => (e ? patternNames(e) : []));
    case 'RestElement':
      return patternNames(pattern.argument as AnyNode);
    case 'AssignmentPattern':
      return patternNames(pattern.left as AnyNode);
    default:
      return [];
  }
}
