/** What the k6 transform refuses: every place it could not convert faithfully, each with its line. */
/** Builtins that call the methods of an object they are given, where no await can go. */

import type { Variable } from 'eslint-scope';
import type { Analysis } from './transform-analysis.js';
import {
  type AnyNode,
  AWAITING_PRIMITIVES,
  BLOCKING_EXPORTS,
  calleeOf,
  describeCallee,
  FUNCTION_TYPES,
  type FunctionNode,
  functionName,
  keyName,
  METHOD_HOLDERS,
  propertyName,
} from './transform-ast.js';
export const CALLING_BUILTINS = new Set([
  'Object.defineProperty',
  'Object.defineProperties',
  'Object.create',
  'Reflect.defineProperty',
  'Proxy',
]);
/** Methods the language calls by itself (`${obj}`, JSON.stringify, await): never awaited. */
export const IMPLICIT_METHODS = new Set([
  'toString',
  'toLocaleString',
  'valueOf',
  'toJSON',
  'then',
]);

export const CALL_IT_DIRECTLY =
  'Loadline must see every call of such a function to make it wait: call it directly (a for…of loop instead of forEach/map)';

/** Everything the transform cannot convert faithfully, each naming its line. */
export function findProblems(a: Analysis, where: (offset: number) => string): string[] {
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
export function classInitializer(a: Analysis, call: AnyNode): string | undefined {
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
export function continuesOptionalChain(a: Analysis, call: AnyNode): boolean {
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

export function describePrimitive(a: Analysis, call: AnyNode): string {
  const callee = calleeOf(call);
  if (callee.type === 'MemberExpression') return describeCallee(callee);
  return a.primitiveName(call) ?? describeCallee(callee);
}
