/**
 * k6 scripts call `http.get` and `sleep` synchronously; Node cannot block. This transform
 * makes every function that (directly or through other functions) makes such a call
 * `async`, and awaits every such call, so one thread can run many VUs. k6's functions are
 * found by their imports (or a CommonJS `require`); the script's own by the variable a
 * function is bound to or, for methods (object literals, classes, `obj.name = function`),
 * by the method's name. It refuses what it cannot prove it converted: a request-making
 * function (or k6's `http.get`, `sleep`, …) used as a value (passed to `forEach`, stored,
 * destructured, bound, constructed, reassigned), a blocking call where no await can go (a
 * getter, setter, constructor, generator, class field, parameter default, the init
 * context), or inside an optional chain that continues after it. What static analysis
 * still misses is caught at run time: each blocking call leaves a mark that only its await
 * site clears (see `settle` in the VU runtime).
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
/** What a blocking call named by a computed key (`http[method](url)`) is called in messages. */
const DYNAMIC = '[…]';

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
/** Where a function is a method, found by name: the key of the node holding it. */
const METHOD_HOLDERS = new Set(['Property', 'MethodDefinition', 'PropertyDefinition']);

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

function staticName(key: AnyNode, computed: unknown): string | undefined {
  if (key.type === 'PrivateIdentifier') return `#${key.name as string}`;
  if (!computed && key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return undefined;
}

function propertyName(member: AnyNode): string | undefined {
  return staticName(member.property as AnyNode, member.computed);
}

function keyName(owner: AnyNode): string | undefined {
  return staticName(owner.key as AnyNode, owner.computed);
}

function last(nodes: unknown): AnyNode | undefined {
  const list = nodes as AnyNode[];
  return list[list.length - 1];
}

/** `(0, f)` and `(a?.b)` call `f` and `a?.b`: what a call calls. */
function calleeOf(call: AnyNode): AnyNode {
  let callee = call.callee as AnyNode;
  for (;;) {
    if (callee.type === 'SequenceExpression') callee = last(callee.expressions) as AnyNode;
    else if (callee.type === 'ChainExpression') callee = callee.expression as AnyNode;
    else return callee;
  }
}

/** The k6 module a CommonJS `require("k6/http")` (esbuild: `__require`) loads. */
function requiredModule(init: AnyNode | null | undefined): string | undefined {
  if (init?.type !== 'CallExpression') return undefined;
  const callee = init.callee as AnyNode;
  const argument = (init.arguments as AnyNode[])[0];
  if (callee.type !== 'Identifier' || !['require', '__require'].includes(callee.name as string))
    return undefined;
  if (argument?.type !== 'Literal' || typeof argument.value !== 'string') return undefined;
  return argument.value in BLOCKING_EXPORTS ? argument.value : undefined;
}

/** The script's scopes, functions and calls, and which calls block: the fixpoint's result. */
class Analysis {
  /** the variable each identifier refers to */
  readonly variableOf = new Map<AnyNode, Variable>();
  /** the variable each declared name (a definition's identifier) declares */
  readonly declared = new Map<AnyNode, Variable>();
  /** identifiers no declaration in the script binds (`__VU`, `require`, …) */
  readonly globals: AnyNode[] = [];
  readonly parent = new Map<AnyNode, AnyNode>();
  /** the innermost function around each node, undefined at module level */
  readonly enclosing = new Map<AnyNode, FunctionNode | undefined>();
  readonly functions: FunctionNode[] = [];
  /** calls and `new`s, outer before inner */
  readonly calls: AnyNode[] = [];
  readonly byType = new Map<string, AnyNode[]>();
  /** local names of k6's modules and exports (imports and CommonJS requires) */
  readonly imports = new Map<Variable, ImportBinding>();
  readonly functionOfVariable = new Map<Variable, FunctionNode>();
  readonly methodsNamed = new Map<string, FunctionNode[]>();
  /** functions made async */
  readonly blocking = new Set<FunctionNode>();
  /** calls made awaits */
  readonly awaited = new Set<AnyNode>();

  constructor(readonly ast: AnyNode) {
    const scopes = analyze(ast, { ecmaVersion: 2022, sourceType: 'module' });
    for (const scope of scopes.scopes) {
      for (const reference of scope.references) {
        if (reference.resolved) this.variableOf.set(reference.identifier, reference.resolved);
      }
      for (const variable of scope.variables) {
        for (const def of variable.defs) this.declared.set(def.name, variable);
      }
    }
    for (const reference of scopes.globalScope.through) this.globals.push(reference.identifier);
    this.#walk(ast, undefined);
    this.#findImports();
    this.#nameFunctions();
    this.#findBlocking();
  }

  of(type: string): AnyNode[] {
    return this.byType.get(type) ?? [];
  }

  #walk(node: AnyNode, fn: FunctionNode | undefined): void {
    this.enclosing.set(node, fn);
    const same = this.byType.get(node.type);
    if (same) same.push(node);
    else this.byType.set(node.type, [node]);
    if (FUNCTION_TYPES.has(node.type)) this.functions.push(node as FunctionNode);
    else if (node.type === 'CallExpression' || node.type === 'NewExpression') this.calls.push(node);
    const inner = FUNCTION_TYPES.has(node.type) ? (node as FunctionNode) : fn;
    for (const child of childrenOf(node)) {
      this.parent.set(child, node);
      this.#walk(child, inner);
    }
  }

  #findImports(): void {
    for (const statement of this.of('ImportDeclaration')) {
      const module = (statement.source as AnyNode).value as string;
      for (const specifier of statement.specifiers as AnyNode[]) {
        const bound = this.declared.get(specifier.local as AnyNode);
        if (!bound) continue;
        const imported =
          specifier.type === 'ImportDefaultSpecifier'
            ? 'default'
            : specifier.type === 'ImportNamespaceSpecifier'
              ? '*'
              : (((specifier.imported as AnyNode).name ??
                  (specifier.imported as AnyNode).value) as string);
        this.imports.set(bound, { module, imported });
      }
    }
    // CommonJS files in the bundle: `var http = __require("k6/http")`, `{ sleep } = require("k6")`.
    for (const declarator of this.of('VariableDeclarator')) {
      const module = requiredModule(declarator.init as AnyNode | null);
      if (module === undefined) continue;
      const id = declarator.id as AnyNode;
      const bind = (name: AnyNode, imported: string) => {
        const variable = this.declared.get(name);
        if (variable) this.imports.set(variable, { module, imported });
      };
      if (id.type === 'Identifier') bind(id, 'default');
      else if (id.type === 'ObjectPattern') {
        for (const property of id.properties as AnyNode[]) {
          const value = property.value as AnyNode | undefined;
          const name = property.type === 'Property' ? keyName(property) : undefined;
          if (name !== undefined && value?.type === 'Identifier') bind(value, name);
        }
      }
    }
  }

  /** The k6 module or export an identifier names, if it names one. */
  bindingOf(id: AnyNode): ImportBinding | undefined {
    if (id.type !== 'Identifier') return undefined;
    const variable = this.variableOf.get(id);
    return variable && this.imports.get(variable);
  }

  /** The k6 primitive a call makes (`get`, `sleep`, `submitForm`, `[…]` for `http[m]()`). */
  primitiveName(call: AnyNode): string | undefined {
    if (call.type !== 'CallExpression') return undefined;
    const callee = calleeOf(call);
    const direct = this.bindingOf(callee);
    if (direct)
      return BLOCKING_EXPORTS[direct.module]?.has(direct.imported) ? direct.imported : undefined;
    if (callee.type !== 'MemberExpression') return undefined;
    const name = propertyName(callee);
    const module = this.bindingOf(callee.object as AnyNode);
    const exports = module && BLOCKING_EXPORTS[module.module];
    if (exports && (module.imported === 'default' || module.imported === '*')) {
      if (name === undefined) return DYNAMIC;
      return exports.has(name) ? name : undefined;
    }
    return name !== undefined && BLOCKING_METHODS.has(name) ? name : undefined;
  }

  #addMethod(name: string | undefined, fn: FunctionNode): void {
    if (name !== undefined)
      this.methodsNamed.set(name, [...(this.methodsNamed.get(name) ?? []), fn]);
  }

  /** Functions by what calls can name them: a variable, or a method's name. */
  #nameFunctions(): void {
    for (const fn of this.functions) {
      const up = this.parent.get(fn);
      // A declaration's name, or a function expression's own name (recursion inside it).
      const own = fn.id ? this.declared.get(fn.id as AnyNode) : undefined;
      if (own) this.functionOfVariable.set(own, fn);
      if (up?.type === 'VariableDeclarator' && up.init === fn) {
        const variable = this.declared.get(up.id as AnyNode);
        if (variable && variable.references.filter((r) => r.isWrite()).length <= 1) {
          this.functionOfVariable.set(variable, fn);
        }
      } else if (up && METHOD_HOLDERS.has(up.type) && up.value === fn) {
        this.#addMethod(keyName(up), fn);
      } else if (this.isMemberAssignment(fn)) {
        this.#addMethod(propertyName((up as AnyNode).left as AnyNode), fn);
      }
    }
    // `{ login, browse: visit }`: the functions are methods of the object by these names.
    for (const property of this.of('Property')) {
      const fn = this.propertyFunction(property);
      if (fn) this.#addMethod(keyName(property), fn);
    }
  }

  /** `obj.name = function …`, `Foo.prototype.name = …`, `this.name = () => …` */
  isMemberAssignment(fn: AnyNode): boolean {
    const up = this.parent.get(fn);
    return (
      up?.type === 'AssignmentExpression' &&
      up.operator === '=' &&
      up.right === fn &&
      (up.left as AnyNode).type === 'MemberExpression' &&
      propertyName(up.left as AnyNode) !== undefined
    );
  }

  /** The function a property of an object literal names by a variable (`{ login }`). */
  propertyFunction(property: AnyNode): FunctionNode | undefined {
    const value = property.value as AnyNode;
    if (value.type !== 'Identifier' || property.kind !== 'init') return undefined;
    if (this.parent.get(property)?.type !== 'ObjectExpression') return undefined;
    if (keyName(property) === undefined) return undefined;
    const variable = this.variableOf.get(value);
    return variable && this.functionOfVariable.get(variable);
  }

  targetsOf(call: AnyNode): FunctionNode[] {
    if (call.type !== 'CallExpression') return [];
    const callee = calleeOf(call);
    if (FUNCTION_TYPES.has(callee.type)) return [callee as FunctionNode];
    if (callee.type === 'Identifier') {
      const variable = this.variableOf.get(callee);
      const fn = variable && this.functionOfVariable.get(variable);
      return fn ? [fn] : [];
    }
    if (callee.type === 'MemberExpression') {
      const name = propertyName(callee);
      return name === undefined ? [] : (this.methodsNamed.get(name) ?? []);
    }
    return [];
  }

  /**
   * Fixpoint: a function blocks when a call inside it blocks. Functions written async
   * already return promises their callers expect, so they never make callers block.
   */
  #findBlocking(): void {
    for (let changed = true; changed; ) {
      changed = false;
      for (const call of this.calls) {
        if (this.awaited.has(call)) continue;
        const blocks =
          this.primitiveName(call) !== undefined ||
          this.targetsOf(call).some((fn) => this.blocking.has(fn) && !fn.async);
        if (!blocks) continue;
        this.awaited.add(call);
        changed = true;
        const fn = this.enclosing.get(call);
        if (fn && !fn.async) this.blocking.add(fn);
      }
    }
  }

  /** Whether a node is what a call calls (through `(0, f)` and parentheses of a chain). */
  isCallee(node: AnyNode): boolean {
    let inner = node;
    let up = this.parent.get(inner);
    while (
      (up?.type === 'SequenceExpression' && last(up.expressions) === inner) ||
      up?.type === 'ChainExpression'
    ) {
      inner = up;
      up = this.parent.get(inner);
    }
    return up?.type === 'CallExpression' && up.callee === inner;
  }
}

/** Builtins that call the methods of an object they are given, where no await can go. */
const CALLING_BUILTINS = new Set([
  'Object.defineProperty',
  'Object.defineProperties',
  'Object.create',
  'Reflect.defineProperty',
  'Proxy',
]);
/** Methods the language calls by itself (`${obj}`, JSON.stringify, await): never awaited. */
const IMPLICIT_METHODS = new Set(['toString', 'toLocaleString', 'valueOf', 'toJSON', 'then']);

const CALL_IT_DIRECTLY =
  'Loadline must see every call of such a function to make it wait: call it directly (a for…of loop instead of forEach/map)';

/** Everything the transform cannot convert faithfully, each naming its line. */
function findProblems(a: Analysis, where: (offset: number) => string): string[] {
  const problems: string[] = [];
  const report = (node: AnyNode, message: string) =>
    problems.push(`${where(node.start)}: ${message}`);

  // Blocking calls where no await can go.
  for (const call of a.awaited) {
    const fn = a.enclosing.get(call);
    const what = `${a.primitiveName(call) === undefined ? describeCallee(calleeOf(call)) : describePrimitive(a, call)}()`;
    const field = classInitializer(a, call);
    if (field) {
      report(
        call,
        `${what} in ${field}: Loadline cannot make it wait there; make the call in a method and assign the result there`,
      );
    } else if (!fn) {
      report(
        call,
        `${what} in the init context: k6 runs requests and sleeps only inside VU code (default, scenario functions, setup, teardown)`,
      );
    } else if (fn.generator) {
      report(
        call,
        `${what} inside a generator function: Loadline cannot make a generator wait; move the call out of the generator`,
      );
    } else if ((fn.params as AnyNode[]).some((p) => p.start <= call.start && call.end <= p.end)) {
      report(
        call,
        `${what} in a parameter's default value: Loadline cannot make a parameter wait; set it in the body instead (\`if (r === undefined) r = …\`)`,
      );
    } else if (continuesOptionalChain(a, call)) {
      report(
        call,
        `${what} inside an optional chain (?.) that goes on after the call: Loadline cannot keep the chain's short-circuit around the wait; split it (\`const r = a?.f(); r?.g()\`)`,
      );
    }
  }

  // Every blocking function must be reached only through calls the fixpoint saw.
  for (const fn of a.blocking) {
    const up = a.parent.get(fn);
    const name = functionName(fn, up);
    if (up && METHOD_HOLDERS.has(up.type) && up.value === fn) {
      if (up.kind === 'get' || up.kind === 'set' || up.kind === 'constructor') {
        report(
          fn,
          `${up.kind === 'constructor' ? 'a constructor' : `the ${up.kind}ter ${name}`} makes requests or sleeps; Loadline can only make ordinary functions and methods wait: make it a method and call it`,
        );
      } else if (keyName(up) === undefined) {
        report(fn, 'a method with a computed name makes requests or sleeps; give it a plain name');
      } else if (IMPLICIT_METHODS.has(name)) {
        report(
          fn,
          `the method ${name} makes requests or sleeps, and JavaScript calls ${name}() by itself where Loadline cannot make it wait; give it another name and call it directly`,
        );
      } else if (up.type === 'Property') {
        objectEscapes(up, name);
      }
      continue;
    }
    if (a.isMemberAssignment(fn)) continue;
    const declarator = up?.type === 'VariableDeclarator' && up.init === fn ? up : undefined;
    const variables = [fn.id, declarator?.id]
      .map((id) => (id ? a.declared.get(id as AnyNode) : undefined))
      .filter((v): v is Variable => v !== undefined);
    const bound = declarator && a.declared.get(declarator.id as AnyNode);
    if (bound && a.functionOfVariable.get(bound) !== fn) {
      report(
        fn,
        `${bound.name} makes requests or sleeps and is assigned more than once; Loadline cannot tell which function a call of ${bound.name} runs: declare it once (const)`,
      );
    }
    for (const variable of variables) {
      for (const reference of variable.references) {
        if (reference.isWrite()) continue;
        const id = reference.identifier;
        if (usedAllowed(id)) continue;
        report(
          id,
          `${name} makes requests or sleeps${byName(fn)} and is used here as a value${usedIn(id)}; ${CALL_IT_DIRECTLY}`,
        );
      }
    }
    if (fn.type !== 'FunctionDeclaration' && !declarator && !usedAllowed(fn)) {
      report(
        fn,
        `a function that makes requests or sleeps${byName(fn)} is passed as a value${usedIn(fn)}; ${CALL_IT_DIRECTLY}`,
      );
    }
  }

  // k6's blocking functions themselves: called, never passed, stored or destructured.
  for (const [variable, binding] of a.imports) {
    const exports = BLOCKING_EXPORTS[binding.module];
    if (!exports) continue;
    const whole = binding.imported === 'default' || binding.imported === '*';
    if (!whole && !exports.has(binding.imported)) continue;
    for (const reference of variable.references) {
      if (reference.isWrite()) continue;
      const id = reference.identifier;
      if (!whole) {
        if (a.isCallee(id)) continue;
        report(
          id,
          `${binding.imported} (from "${binding.module}") is used here as a value${usedIn(id)}; Loadline makes the script wait only where it calls ${binding.imported}() directly`,
        );
        continue;
      }
      const up = a.parent.get(id);
      if (up?.type === 'MemberExpression' && up.object === id) {
        const member = propertyName(up);
        if ((member !== undefined && !exports.has(member)) || a.isCallee(up)) continue;
        report(
          up,
          `${describeCallee(up)} is used here as a value${usedIn(up)}; Loadline makes the script wait only where it calls ${describeCallee(up)}() directly`,
        );
      } else {
        report(
          id,
          `the module "${binding.module}" is used here as a value${usedIn(id)}; Loadline makes the script wait only where it calls ${id.name as string}.get(), ${id.name as string}.post() … directly on the import: call them there`,
        );
      }
    }
  }

  // Blocking methods are found by name: using that name other than in a call escapes.
  const blockingMethodNames = new Set<string>();
  for (const [name, fns] of a.methodsNamed) {
    if (fns.some((fn) => a.blocking.has(fn))) blockingMethodNames.add(name);
  }
  for (const member of a.of('MemberExpression')) {
    const name = propertyName(member);
    if (name === undefined || !blockingMethodNames.has(name)) continue;
    if (a.isCallee(member)) continue;
    const up = a.parent.get(member);
    if (up?.type === 'AssignmentExpression' && up.left === member) continue;
    report(
      member,
      `the method ${name} makes requests or sleeps and is used here as a value${usedIn(member)}; call it directly (obj.${name}(…))`,
    );
  }
  for (const property of a.of('Property')) {
    const name = keyName(property);
    if (a.parent.get(property)?.type !== 'ObjectPattern' || name === undefined) continue;
    if (!blockingMethodNames.has(name)) continue;
    report(
      property,
      `the method ${name} makes requests or sleeps and is destructured here; Loadline finds its calls by name: call it on its object (obj.${name}(…))`,
    );
  }
  for (const property of a.of('Property')) {
    const fn = a.propertyFunction(property);
    if (fn && a.blocking.has(fn)) objectEscapes(property, functionName(fn, a.parent.get(fn)));
  }
  // An object of such methods must be called by name, not walked (`o[k]()`, Object.values).
  for (const declarator of a.of('VariableDeclarator')) {
    const object = declarator.init as AnyNode | null;
    if (object?.type !== 'ObjectExpression' || !holdsBlocking(object)) continue;
    const variable = a.declared.get(declarator.id as AnyNode);
    for (const reference of variable?.references ?? []) {
      const id = reference.identifier;
      const up = a.parent.get(id);
      const name = id.name as string;
      if (up?.type === 'MemberExpression' && up.object === id && propertyName(up) === undefined) {
        report(
          up,
          `${name} holds functions that make requests or sleep, and is read here by a computed key; Loadline finds their calls by name: call ${name}.theName() directly`,
        );
      } else if (
        up?.type === 'CallExpression' &&
        (up.arguments as AnyNode[]).includes(id) &&
        ['Object.values', 'Object.entries'].includes(describeCallee(calleeOf(up)))
      ) {
        report(
          id,
          `${name} holds functions that make requests or sleep, and is given here to ${describeCallee(calleeOf(up))}; Loadline finds their calls by name: call ${name}.theName() directly`,
        );
      }
    }
  }
  return problems;

  function holdsBlocking(object: AnyNode): boolean {
    return (object.properties as AnyNode[]).some((p) => {
      if (p.type !== 'Property') return false;
      const fn = FUNCTION_TYPES.has((p.value as AnyNode).type)
        ? (p.value as FunctionNode)
        : a.propertyFunction(p);
      return fn !== undefined && a.blocking.has(fn);
    });
  }

  /** A function value is fine as a callee, an export, a method, or group()'s callback. */
  function usedAllowed(node: AnyNode): boolean {
    if (a.isCallee(node)) return true;
    const up = a.parent.get(node);
    if (!up) return false;
    if (up.type === 'ExportSpecifier' || up.type === 'ExportDefaultDeclaration') return true;
    if (up.type === 'Property' && up.value === node) return a.propertyFunction(up) !== undefined;
    if (up.type === 'CallExpression' && (up.arguments as AnyNode[]).includes(node)) {
      const name = a.primitiveName(up);
      return name !== undefined && AWAITING_PRIMITIVES.has(name);
    }
    return false;
  }

  /** Why a function blocks when only a method of the same name does (`m.get()` and a `get`). */
  function byName(fn: FunctionNode): string {
    for (const call of a.calls) {
      if (a.enclosing.get(call) !== fn || !a.awaited.has(call)) continue;
      if (a.primitiveName(call) !== undefined) return '';
      const callee = calleeOf(call);
      if (callee.type !== 'MemberExpression') return '';
      const name = propertyName(callee);
      return ` (it calls ${describeCallee(callee)}(), and Loadline finds methods by name: a method named ${name} makes requests or sleeps; if this is another ${name}, rename that method)`;
    }
    return '';
  }

  function usedIn(node: AnyNode): string {
    const up = a.parent.get(node);
    if (
      (up?.type === 'CallExpression' || up?.type === 'NewExpression') &&
      (up.arguments as AnyNode[]).includes(node)
    ) {
      return ` (passed to ${describeCallee(calleeOf(up))})`;
    }
    if (up?.type === 'NewExpression') return ' (constructed with new)';
    if (up?.type === 'MemberExpression' && up.object === node) {
      return ` (.${propertyName(up) ?? '[…]'})`;
    }
    if (up?.type === 'ArrayExpression') return ' (stored in an array)';
    if (up?.type === 'Property' || up?.type === 'VariableDeclarator') return ' (stored)';
    return '';
  }

  /**
   * An object of request-making methods handed to something that calls them by itself
   * (`check(res, {…})`, a property descriptor, a Proxy handler) runs them unawaited.
   */
  function objectEscapes(property: AnyNode, name: string): void {
    const object = a.parent.get(property) as AnyNode;
    const call = a.parent.get(object);
    if (
      (call?.type !== 'CallExpression' && call?.type !== 'NewExpression') ||
      !(call.arguments as AnyNode[]).includes(object)
    ) {
      return;
    }
    const callee = calleeOf(call);
    const described = describeCallee(callee);
    const imported =
      a.bindingOf(callee) ??
      (callee.type === 'MemberExpression' ? a.bindingOf(callee.object as AnyNode) : undefined);
    if (!imported && !CALLING_BUILTINS.has(described)) return;
    report(
      property,
      `${name} makes requests or sleeps and is passed in an object to ${call.type === 'NewExpression' ? 'new ' : ''}${described}(), which calls it without waiting; make the request before the call`,
    );
  }
}

/** `a class field's initializer` or `a static block` when a call is in one (not in a method). */
function classInitializer(a: Analysis, call: AnyNode): string | undefined {
  for (let node = call; !FUNCTION_TYPES.has(node.type); ) {
    const up = a.parent.get(node);
    if (!up) return undefined;
    if (up.type === 'StaticBlock') return 'a static block';
    if (up.type === 'PropertyDefinition' && up.value === node) return "a class field's initializer";
    node = up;
  }
  return undefined;
}

/**
 * Whether a call sits inside an optional chain that short-circuits at or before it and goes
 * on after it (`a?.get(u).json()`): wrapping the call in an await would end the chain there.
 */
function continuesOptionalChain(a: Analysis, call: AnyNode): boolean {
  const up = a.parent.get(call);
  const continues =
    (up?.type === 'MemberExpression' && up.object === call) ||
    (up?.type === 'CallExpression' && up.callee === call);
  if (!continues) return false;
  for (let node: AnyNode | undefined = call; node; ) {
    if (node.optional) return true;
    node =
      node.type === 'CallExpression'
        ? (node.callee as AnyNode)
        : node.type === 'MemberExpression'
          ? (node.object as AnyNode)
          : undefined;
  }
  return false;
}

function describePrimitive(a: Analysis, call: AnyNode): string {
  const callee = calleeOf(call);
  if (callee.type === 'MemberExpression') return describeCallee(callee);
  return a.primitiveName(call) ?? describeCallee(callee);
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
  const a = new Analysis(ast);
  const problems = findProblems(a, where);
  if (problems.length > 0) throw new ScriptError(problems);

  // Rewrite: imports become the runner's modules, exports assignments, awaits inserted.
  const out = new MagicString(code);
  const { exported, defaultAssigned } = rewriteModuleSyntax(ast, out, where);

  for (const id of a.globals) {
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
    const up = a.parent.get(id);
    if (up?.type === 'Property' && up.shorthand)
      out.overwrite(id.start, id.end, `${name}: ${replacement}`);
    else out.overwrite(id.start, id.end, replacement);
  }

  for (const fn of a.blocking) {
    const up = a.parent.get(fn);
    if (up && (up.type === 'MethodDefinition' || (up.type === 'Property' && up.method))) {
      out.appendLeft((up.key as AnyNode).start, 'async ');
    } else {
      out.appendLeft(fn.start, 'async ');
    }
  }
  // Calls starting at one place (`f(u).submitForm()`): each prependLeft goes before the
  // last, so the inner call goes first and the outer call's await ends up outermost. And
  // before an `async ` inserted at the same place (`function () {…}()`).
  const calls = [...a.awaited].sort((x, y) => x.start - y.start || x.end - y.end);
  for (const call of calls) {
    const settles = a.primitiveName(call) !== undefined;
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
  return { source: out.toString(), exports: names, madeAsync: a.blocking.size };
}

/** Imports become `__k6.import(…)`, exports assignments to `__exports`, on the same lines. */
function rewriteModuleSyntax(
  ast: AnyNode,
  out: MagicString,
  where: (offset: number) => string,
): { exported: Array<[name: string, local: string]>; defaultAssigned: boolean } {
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
      out.overwrite(statement.start, statement.end, text + newlinesIn(statement));
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
        const newlines = newlinesIn(statement);
        if (newlines) out.overwrite(statement.start, statement.end, newlines);
        else out.remove(statement.start, statement.end);
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
  return { exported, defaultAssigned };

  /** A statement's line breaks: what replaces it keeps the lines after it where they were. */
  function newlinesIn(statement: AnyNode): string {
    return '\n'.repeat(
      (out.original.slice(statement.start, statement.end).match(/\n/g) ?? []).length,
    );
  }
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
  if (up && METHOD_HOLDERS.has(up.type)) return keyName(up) ?? 'method';
  if (up?.type === 'AssignmentExpression' && (up.left as AnyNode).type === 'MemberExpression') {
    return propertyName(up.left as AnyNode) ?? 'a function';
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
