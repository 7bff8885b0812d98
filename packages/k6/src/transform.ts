/**
 * k6 scripts call `http.get` and `sleep` synchronously; Node cannot block. This transform
 * makes every function that (directly or through other functions) makes such a call
 * `async`, and awaits every such call, so one thread can run many VUs. It refuses what it
 * cannot prove it converted: a request-making function used as a value (passed to
 * `forEach`, stored, constructed) or called from a getter, constructor or generator. What
 * static analysis still misses is caught at run time: each blocking call leaves a mark that
 * only its await site clears (see `settle` in the VU runtime).
 */
import { parse } from 'acorn';
import { analyze, type Variable } from 'eslint-scope';
import MagicString from 'magic-string';
import { ScriptError } from './bundle.js';

/** Calls of k6's modules that block a k6 VU: made awaits here. */
const BLOCKING_EXPORTS: Readonly<Record<string, ReadonlySet<string>>> = {
  k6: new Set(['sleep', 'group']),
  'k6/http': new Set(['get', 'post', 'put', 'patch', 'del', 'head', 'options', 'request', 'batch']),
};
/** Response methods that make requests (`res.submitForm()`, `res.clickLink()`). */
const BLOCKING_METHODS = new Set(['submitForm', 'clickLink']);
/** Primitives that run a function argument and await it (`group(name, fn)`). */
const AWAITING_PRIMITIVES = new Set(['group']);

/** The parameters the transformed module body is called with, per VU. */
export const MODULE_PARAMETERS = ['__k6', '__vu', '__exports', 'open', 'require'] as const;

export interface TransformedScript {
  /** `(function (__k6, __vu, __exports, open, require) { … })`, lines as in the bundle */
  source: string;
  /** names the module exports (default, options, setup, scenario functions …) */
  exports: string[];
  /** how many functions were made async: reported, and useful to tests */
  madeAsync: number;
}

type AnyNode = { type: string; start: number; end: number; [key: string]: unknown };
type FunctionNode = AnyNode & { async: boolean; generator: boolean; body: AnyNode };

interface ImportBinding {
  module: string;
  /** 'default', '*' or the export's name */
  imported: string;
}

const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
]);

function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as AnyNode).type === 'string';
}

function childrenOf(node: AnyNode): AnyNode[] {
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

function propertyName(member: AnyNode): string | undefined {
  const property = member.property as AnyNode;
  if (!member.computed && property.type === 'Identifier') return property.name as string;
  if (member.computed && property.type === 'Literal' && typeof property.value === 'string') {
    return property.value;
  }
  return undefined;
}

function keyName(owner: AnyNode): string | undefined {
  const key = owner.key as AnyNode;
  if (!owner.computed && key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return undefined;
}

export function transformModule(
  code: string,
  where: (offset: number) => string,
): TransformedScript {
  let ast: AnyNode;
  try {
    ast = parse(code, {
      ecmaVersion: 'latest',
      sourceType: 'module',
      locations: true,
      ranges: true,
    }) as unknown as AnyNode;
  } catch (error) {
    const pos = (error as { pos?: number }).pos;
    throw new ScriptError([
      `${pos === undefined ? 'script' : where(pos)}: ${(error as Error).message}`,
    ]);
  }
  const problems: string[] = [];
  const scopes = analyze(ast, { ecmaVersion: 2022, sourceType: 'module' });

  // Which variable each identifier refers to, and where each variable is referenced.
  const variableOf = new Map<AnyNode, Variable>();
  const globals: AnyNode[] = [];
  for (const scope of scopes.scopes) {
    for (const reference of scope.references) {
      if (reference.resolved) variableOf.set(reference.identifier as AnyNode, reference.resolved);
    }
  }
  for (const reference of scopes.globalScope.through) globals.push(reference.identifier as AnyNode);

  const parent = new Map<AnyNode, AnyNode>();
  const enclosing = new Map<AnyNode, FunctionNode | undefined>();
  const functions: FunctionNode[] = [];
  const calls: AnyNode[] = [];
  const members: AnyNode[] = [];
  const walk = (node: AnyNode, fn: FunctionNode | undefined): void => {
    enclosing.set(node, fn);
    if (FUNCTION_TYPES.has(node.type)) functions.push(node as FunctionNode);
    else if (node.type === 'CallExpression' || node.type === 'NewExpression') calls.push(node);
    else if (node.type === 'MemberExpression') members.push(node);
    const inner = FUNCTION_TYPES.has(node.type) ? (node as FunctionNode) : fn;
    for (const child of childrenOf(node)) {
      parent.set(child, node);
      walk(child, inner);
    }
  };
  walk(ast, undefined);

  // Imports of k6's modules: which local name is which export.
  const imports = new Map<Variable, ImportBinding>();
  for (const statement of ast.body as AnyNode[]) {
    if (statement.type !== 'ImportDeclaration') continue;
    const module = (statement.source as AnyNode).value as string;
    for (const specifier of statement.specifiers as AnyNode[]) {
      const bound = findDeclared(specifier.local as AnyNode);
      if (!bound) continue;
      const imported =
        specifier.type === 'ImportDefaultSpecifier'
          ? 'default'
          : specifier.type === 'ImportNamespaceSpecifier'
            ? '*'
            : (((specifier.imported as AnyNode).name ??
                (specifier.imported as AnyNode).value) as string);
      imports.set(bound, { module, imported });
    }
  }

  const primitiveName = (call: AnyNode): string | undefined => {
    if (call.type !== 'CallExpression') return undefined;
    const callee = call.callee as AnyNode;
    if (callee.type === 'Identifier') {
      const variable = variableOf.get(callee);
      const binding = variable && imports.get(variable);
      if (binding && BLOCKING_EXPORTS[binding.module]?.has(binding.imported)) {
        return binding.imported;
      }
      return undefined;
    }
    if (callee.type !== 'MemberExpression') return undefined;
    const name = propertyName(callee);
    if (name === undefined) return undefined;
    if (BLOCKING_METHODS.has(name)) return name;
    const object = callee.object as AnyNode;
    if (object.type !== 'Identifier') return undefined;
    const variable = variableOf.get(object);
    const binding = variable && imports.get(variable);
    if (!binding || (binding.imported !== 'default' && binding.imported !== '*')) return undefined;
    return BLOCKING_EXPORTS[binding.module]?.has(name) ? name : undefined;
  };

  // Functions by what calls can name them: a variable, or a method name.
  const functionOfVariable = new Map<Variable, FunctionNode>();
  const methodsNamed = new Map<string, FunctionNode[]>();
  for (const fn of functions) {
    const up = parent.get(fn);
    if (fn.type === 'FunctionDeclaration' && fn.id) {
      const variable = variableOf.get(fn.id as AnyNode) ?? findDeclared(fn.id as AnyNode);
      if (variable) functionOfVariable.set(variable, fn);
    } else if (up?.type === 'VariableDeclarator' && up.init === fn) {
      const variable = findDeclared(up.id as AnyNode);
      if (variable && variable.references.filter((r) => r.isWrite()).length <= 1) {
        functionOfVariable.set(variable, fn);
      }
    } else if (
      up &&
      (up.type === 'Property' || up.type === 'MethodDefinition') &&
      up.value === fn
    ) {
      const name = keyName(up);
      if (name !== undefined) methodsNamed.set(name, [...(methodsNamed.get(name) ?? []), fn]);
    }
  }
  function findDeclared(id: AnyNode): Variable | undefined {
    for (const scope of scopes.scopes) {
      for (const variable of scope.variables) {
        if (variable.defs.some((d) => d.name === id)) return variable;
      }
    }
    return undefined;
  }

  const targetsOf = (call: AnyNode): FunctionNode[] => {
    const callee = call.callee as AnyNode;
    if (FUNCTION_TYPES.has(callee.type)) return [callee as FunctionNode];
    if (callee.type === 'Identifier') {
      const variable = variableOf.get(callee);
      const fn = variable && functionOfVariable.get(variable);
      return fn ? [fn] : [];
    }
    if (callee.type === 'MemberExpression') {
      const name = propertyName(callee);
      return name === undefined ? [] : (methodsNamed.get(name) ?? []);
    }
    return [];
  };

  // Fixpoint: a function blocks when a call inside it blocks. Functions written async
  // already return promises their callers expect, so they never make callers block.
  const blocking = new Set<FunctionNode>();
  const awaited = new Set<AnyNode>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const call of calls) {
      if (awaited.has(call)) continue;
      const blocks =
        primitiveName(call) !== undefined ||
        (call.type === 'CallExpression' &&
          targetsOf(call).some((fn) => blocking.has(fn) && !fn.async));
      if (!blocks) continue;
      awaited.add(call);
      changed = true;
      const fn = enclosing.get(call);
      if (fn && !fn.async && !blocking.has(fn)) blocking.add(fn);
    }
  }

  for (const call of awaited) {
    const fn = enclosing.get(call);
    const what = primitiveName(call) ?? describeCallee(call.callee as AnyNode);
    if (!fn) {
      problems.push(
        `${where(call.start)}: ${what}() in the init context: k6 runs requests and sleeps only inside VU code (default, scenario functions, setup, teardown)`,
      );
    } else if (fn.generator) {
      problems.push(
        `${where(call.start)}: ${what}() inside a generator function: Loadline cannot make a generator wait; move the call out of the generator`,
      );
    }
  }

  // Every blocking function must be reached only through calls the fixpoint saw.
  for (const fn of blocking) {
    const up = parent.get(fn);
    const name = functionName(fn, up);
    if (up?.type === 'MethodDefinition' || up?.type === 'Property') {
      if (up.kind === 'get' || up.kind === 'set' || up.kind === 'constructor') {
        problems.push(
          `${where(fn.start)}: ${up.kind === 'constructor' ? 'a constructor' : `the ${up.kind}ter ${name}`} makes requests or sleeps; Loadline can only make ordinary functions wait`,
        );
      } else if (keyName(up) === undefined) {
        problems.push(
          `${where(fn.start)}: a method with a computed name makes requests or sleeps; give it a plain name`,
        );
      }
      continue;
    }
    if (fn.type === 'FunctionDeclaration' || up?.type === 'VariableDeclarator') {
      const variable =
        fn.type === 'FunctionDeclaration'
          ? findDeclared(fn.id as AnyNode)
          : findDeclared(up?.id as AnyNode);
      for (const reference of variable?.references ?? []) {
        const id = reference.identifier as AnyNode;
        if (reference.isWrite() || usedAllowed(id)) continue;
        problems.push(
          `${where(id.start)}: ${name} makes requests or sleeps and is used here as a value${usedIn(id)}; Loadline must see every call of such a function to make it wait: call it directly (a for…of loop instead of forEach/map)`,
        );
      }
      continue;
    }
    if (!up || !usedAllowed(fn)) {
      problems.push(
        `${where(fn.start)}: a function that makes requests or sleeps is passed as a value${usedIn(fn)}; Loadline must see every call of such a function to make it wait: call it directly (a for…of loop instead of forEach/map)`,
      );
    }
  }
  // Blocking methods are found by name: using that name other than in a call escapes.
  const blockingMethodNames = new Set<string>();
  for (const [name, fns] of methodsNamed) {
    if (fns.some((fn) => blocking.has(fn))) blockingMethodNames.add(name);
  }
  for (const member of members) {
    const name = propertyName(member);
    if (name === undefined || !blockingMethodNames.has(name)) continue;
    const up = parent.get(member);
    if (up?.type === 'CallExpression' && up.callee === member) continue;
    if (up?.type === 'AssignmentExpression' && up.left === member) continue;
    problems.push(
      `${where(member.start)}: the method ${name} makes requests or sleeps and is used here as a value; call it directly`,
    );
  }

  /** A function value is fine as a callee, an export, or the callback of group(). */
  function usedAllowed(node: AnyNode): boolean {
    const up = parent.get(node);
    if (!up) return false;
    if (up.type === 'CallExpression' && up.callee === node) return true;
    if (up.type === 'ExportSpecifier' || up.type === 'ExportDefaultDeclaration') return true;
    if (up.type === 'CallExpression' && (up.arguments as AnyNode[]).includes(node)) {
      const name = primitiveName(up);
      return name !== undefined && AWAITING_PRIMITIVES.has(name);
    }
    return false;
  }
  function usedIn(node: AnyNode): string {
    const up = parent.get(node);
    if (up?.type === 'CallExpression' && (up.arguments as AnyNode[]).includes(node)) {
      return ` (passed to ${describeCallee(up.callee as AnyNode)})`;
    }
    if (up?.type === 'NewExpression') return ' (constructed with new)';
    return '';
  }

  if (problems.length > 0) throw new ScriptError(problems);

  // Rewrite: imports become the runner's modules, exports assignments, awaits inserted.
  const out = new MagicString(code);
  const exported: Array<[name: string, local: string]> = [];
  let moduleIndex = 0;
  let defaultAssigned = false;
  for (const statement of ast.body as AnyNode[]) {
    if (statement.type === 'ImportDeclaration') {
      const module = JSON.stringify((statement.source as AnyNode).value);
      const handle = `__m${moduleIndex++}`;
      let text = `const ${handle} = __k6.import(${module});`;
      for (const specifier of statement.specifiers as AnyNode[]) {
        const local = (specifier.local as AnyNode).name as string;
        if (specifier.type === 'ImportDefaultSpecifier')
          text += ` const ${local} = ${handle}.default;`;
        else if (specifier.type === 'ImportNamespaceSpecifier')
          text += ` const ${local} = ${handle};`;
        else {
          const imported = ((specifier.imported as AnyNode).name ??
            (specifier.imported as AnyNode).value) as string;
          text += ` const ${local} = ${handle}[${JSON.stringify(imported)}];`;
        }
      }
      out.overwrite(statement.start, statement.end, text.replace(/\n/g, ' '));
    } else if (statement.type === 'ExportNamedDeclaration') {
      if (statement.source) {
        throw new ScriptError([
          `${where(statement.start)}: re-exporting a module is not supported`,
        ]);
      }
      const declaration = statement.declaration as AnyNode | null;
      if (declaration) {
        out.remove(statement.start, declaration.start);
        for (const name of declaredNames(declaration)) exported.push([name, name]);
      } else {
        for (const specifier of statement.specifiers as AnyNode[]) {
          const local = (specifier.local as AnyNode).name as string;
          const name = ((specifier.exported as AnyNode).name ??
            (specifier.exported as AnyNode).value) as string;
          exported.push([name, local]);
        }
        out.remove(statement.start, statement.end);
      }
    } else if (statement.type === 'ExportDefaultDeclaration') {
      const declaration = statement.declaration as AnyNode;
      const id = declaration.id as AnyNode | null | undefined;
      if (
        (declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') &&
        id
      ) {
        out.remove(statement.start, declaration.start);
        exported.push(['default', id.name as string]);
      } else {
        out.overwrite(statement.start, declaration.start, '__exports.default = ');
        defaultAssigned = true;
        if (declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') {
          out.appendLeft(statement.end, ';');
        }
      }
    } else if (statement.type === 'ExportAllDeclaration') {
      throw new ScriptError([`${where(statement.start)}: re-exporting a module is not supported`]);
    }
  }

  for (const id of globals) {
    const name = id.name as string;
    const replacement =
      name === '__VU'
        ? '__vu.id'
        : name === '__ITER'
          ? '__vu.iteration'
          : name === '__ENV'
            ? '__vu.env'
            : undefined;
    if (replacement === undefined) continue;
    const up = parent.get(id);
    if (up?.type === 'Property' && up.shorthand)
      out.overwrite(id.start, id.end, `${name}: ${replacement}`);
    else out.overwrite(id.start, id.end, replacement);
  }

  for (const fn of blocking) {
    const up = parent.get(fn);
    if (up && (up.type === 'MethodDefinition' || (up.type === 'Property' && up.method))) {
      out.appendLeft((up.key as AnyNode).start, 'async ');
    } else {
      out.appendLeft(fn.start, 'async ');
    }
  }
  for (const call of awaited) {
    const settles = primitiveName(call) !== undefined;
    // prependLeft: before an `async ` inserted at the same place (`function () {…}()`).
    out.prependLeft(call.start, settles ? '(await __vu.settle(' : '(await ');
    out.prependRight(call.end, settles ? '))' : ')');
  }

  const assignments = exported
    .map(([name, local]) => `__exports[${JSON.stringify(name)}] = ${local};`)
    .join(' ');
  out.prepend(`(function (${MODULE_PARAMETERS.join(', ')}) { "use strict"; `);
  out.append(`\n${assignments}\n})`);
  const names = exported.map(([name]) => name);
  if (defaultAssigned) names.push('default');
  return { source: out.toString(), exports: names, madeAsync: blocking.size };
}

function describeCallee(callee: AnyNode): string {
  if (callee.type === 'Identifier') return callee.name as string;
  if (callee.type === 'MemberExpression') {
    const name = propertyName(callee);
    const object = callee.object as AnyNode;
    const prefix = object.type === 'Identifier' ? `${object.name as string}.` : '….';
    return `${prefix}${name ?? '[…]'}`;
  }
  return 'a function';
}

function functionName(fn: FunctionNode, up: AnyNode | undefined): string {
  if (fn.id) return (fn.id as AnyNode).name as string;
  if (up?.type === 'VariableDeclarator') return ((up.id as AnyNode).name as string) ?? 'function';
  if (up && (up.type === 'Property' || up.type === 'MethodDefinition')) {
    return keyName(up) ?? 'method';
  }
  return 'a function';
}

function declaredNames(declaration: AnyNode): string[] {
  if (declaration.type === 'VariableDeclaration') {
    return (declaration.declarations as AnyNode[]).flatMap((d) => patternNames(d.id as AnyNode));
  }
  const id = declaration.id as AnyNode | null;
  return id ? [id.name as string] : [];
}

function patternNames(pattern: AnyNode): string[] {
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
