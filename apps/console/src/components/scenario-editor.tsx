'use client';
// CodeMirror 6 on the scenario YAML, validated as you type by the same parser control
// uses (@loadline/scenario): each problem is underlined at its line:column.
import {
  autocompletion,
  type CompletionContext,
  type CompletionResult,
  completionKeymap,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, linter, lintGutter } from '@codemirror/lint';
import { EditorState, type Text } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { parseScenario } from '@loadline/scenario';
import { useEffect, useRef } from 'react';
import type { FieldProblem } from '@/lib/api';
import { keyCompletions } from '@/lib/scenario-keys';

/** Offers the scenario keys that fit where the cursor is (top level, load, step, request…). */
export function scenarioKeys(context: CompletionContext): CompletionResult | null {
  const found = keyCompletions(context.state.doc.sliceString(0, context.pos));
  if (!found) return null;
  if (found.word === '' && !context.explicit) return null;
  return {
    from: context.pos - found.word.length,
    options: found.options.map((k) => ({
      label: k.label,
      detail: k.detail,
      type: 'property',
      apply: `${k.label}: `,
    })),
    validFor: /^[A-Za-z]*$/,
  };
}

/** Where a line:column problem sits in the document: the token it points at. */
export function rangeOf(doc: Text, line: number, column: number): { from: number; to: number } {
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  const from = Math.min(l.from + Math.max(0, column - 1), l.to);
  const token = /^[^\s:,\]}]+/.exec(doc.sliceString(from, l.to))?.[0].length ?? 0;
  const to = token > 0 ? from + token : Math.max(l.to, from);
  return from === to && from > l.from ? { from: from - 1, to } : { from, to };
}

export function validate(source: string): FieldProblem[] {
  const parsed = parseScenario(source);
  return parsed.ok ? [] : parsed.errors;
}

/** The one change that turns `from` into `to`: the differing middle, common ends kept. */
export function replacement(
  from: string,
  to: string,
): { from: number; to: number; insert: string } {
  let start = 0;
  while (start < from.length && start < to.length && from[start] === to[start]) start++;
  let end = 0;
  while (
    end < from.length - start &&
    end < to.length - start &&
    from[from.length - 1 - end] === to[to.length - 1 - end]
  ) {
    end++;
  }
  return { from: start, to: from.length - end, insert: to.slice(start, to.length - end) };
}

export function ScenarioEditor(props: {
  initial: string;
  /** when given and different from the document (e.g. the form edited it), replaces it */
  value?: string;
  onChange: (source: string) => void;
  onProblems: (problems: FieldProblem[]) => void;
  labelledBy: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<EditorView | null>(null);
  const callbacks = useRef(props);
  callbacks.current = props;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is built once
  useEffect(() => {
    if (!host.current) return;
    const lint = linter(
      (view): Diagnostic[] => {
        const problems = validate(view.state.doc.toString());
        callbacks.current.onProblems(problems);
        return problems.map((p) => ({
          ...rangeOf(view.state.doc, p.line ?? 1, p.column ?? 1),
          severity: 'error',
          message: p.path ? `${p.path}: ${p.message}` : p.message,
        }));
      },
      { delay: 250 },
    );
    const view = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: props.initial,
        extensions: [
          lineNumbers(),
          history(),
          highlightActiveLine(),
          autocompletion({ override: [scenarioKeys], icons: false }),
          keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap]),
          yaml(),
          syntaxHighlighting(defaultHighlightStyle),
          lint,
          lintGutter(),
          EditorView.contentAttributes.of({
            'aria-labelledby': props.labelledBy,
            'aria-multiline': 'true',
          }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) callbacks.current.onChange(update.state.doc.toString());
          }),
        ],
      }),
    });
    editor.current = view;
    return () => {
      editor.current = null;
      view.destroy();
    };
  }, []);

  useEffect(() => {
    const view = editor.current;
    if (!view || props.value === undefined) return;
    const current = view.state.doc.toString();
    if (current !== props.value) view.dispatch({ changes: replacement(current, props.value) });
  }, [props.value]);

  return <div ref={host} className="editor" data-testid="scenario-editor" />;
}
