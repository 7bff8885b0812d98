'use client';
// One labelled input of the scenario form. It keeps what is typed (a draft) while the YAML
// holds its meaning: "1." stays on screen while the YAML says 1, and an edit made in the
// YAML view replaces the draft. Problems for its path are shown below it and announced.
import type { ScenarioError } from '@loadline/scenario';
import { useId, useState } from 'react';

export interface FieldProps {
  label: string;
  value: string;
  /** applies the text to the YAML; returns why it could not, if it could not */
  onEdit?: (text: string) => string | undefined;
  problems?: ScenarioError[];
  hint?: string;
  /** the value the YAML would hold for a draft (e.g. "1." → "1"); identity by default */
  normalize?: (text: string) => string;
  hideLabel?: boolean;
  inputMode?: 'numeric' | 'decimal' | 'text' | 'url';
  testId?: string;
  id?: string;
  className?: string;
}

export const asNumber = (text: string): string => {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? String(Number(trimmed)) : text;
};

export function ProblemNotes({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <ul className="field-errors" id={id}>
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

/** The draft of a field, replaced when the YAML comes to mean something else. */
function useDraft(value: string, normalize: (text: string) => string) {
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  if (value !== seen) {
    setSeen(value);
    if (normalize(draft) !== value) setDraft(value);
  }
  return [draft, setDraft] as const;
}

export function Field(props: FieldProps) {
  const normalize = props.normalize ?? ((t: string) => t);
  const [draft, setDraft] = useDraft(props.value, normalize);
  const [refused, setRefused] = useState<string>();
  const auto = useId();
  const id = props.id ?? auto;
  const messages = [...(refused ? [refused] : []), ...(props.problems ?? []).map((p) => p.message)];
  const described = [props.hint ? `${id}-hint` : '', messages.length > 0 ? `${id}-errors` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={`field ${props.className ?? ''}`}>
      <label htmlFor={id} className={props.hideLabel ? 'visually-hidden' : undefined}>
        {props.label}
      </label>
      <input
        id={id}
        type="text"
        value={draft}
        readOnly={!props.onEdit}
        inputMode={props.inputMode}
        spellCheck={false}
        autoComplete="off"
        data-testid={props.testId}
        aria-invalid={messages.length > 0 || undefined}
        aria-describedby={described || undefined}
        onChange={(e) => {
          const text = e.target.value;
          setDraft(text);
          setRefused(props.onEdit?.(text));
        }}
      />
      {props.hint ? (
        <p className="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <ProblemNotes id={`${id}-errors`} messages={messages} />
    </div>
  );
}

/** A row's Remove button; `label` names the row for screen readers. */
export function RemoveButton(props: { label: string; disabled?: boolean; onRemove: () => void }) {
  return (
    <button
      type="button"
      aria-label={props.label}
      disabled={props.disabled}
      onClick={props.onRemove}
    >
      Remove
    </button>
  );
}
