/**
 * What the k6 transform knows about a bundled script: every function, call and reference,
 * which calls are k6's blocking primitives, which functions they reach (by variable, or by
 * method name), and — to a fixpoint — which functions block and which calls must be awaited.
 */
import { analyze, type Variable } from 'eslint-scope';
import {
  type AnyNode,
  BLOCKING_EXPORTS,
  BLOCKING_METHODS,
  calleeOf,
  childrenOf,
  DYNAMIC,
  FUNCTION_TYPES,
  type FunctionNode,
  type ImportBinding,
  keyName,
  last,
  METHOD_HOLDERS,
  propertyName,
  requiredModule,
} from './transform-ast.js';

/** The script's scopes, functions and calls, and which calls block: the fixpoint's result. */
export class Analysis {
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
