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
import MagicString from 'magic-string';
import { ScriptError } from './bundle.js';
import { Analysis } from './transform-analysis.js';
import { type AnyNode, declaredNames } from './transform-ast.js';
import { findProblems } from './transform-problems.js';

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
