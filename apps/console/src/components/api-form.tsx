'use client';
// The scaffolding of a form the control API validates: its problems sorted by field, each
// field's notes below it, the form's own failure, and the busy flag while it is sent.
import { useState } from 'react';
import { Problem } from '@/components/bits';
import { GuardedButton } from '@/components/guarded-button';
import { type ApiError, apiError, type FieldProblem } from '@/lib/api';

export type FieldMessages<F extends string> = Record<F | 'other', string[]>;

/** How a problem under a field reads; `key` is its path below the field ('' for the field). */
export type Describe<F extends string> = (field: F, key: string, message: string) => string;

const plainly = (_field: string, key: string, message: string) =>
  key ? `${key}: ${message}` : message;

/** Sorts the API's problems by the form field they belong to; the rest are general. */
export function byField<F extends string>(
  fields: readonly F[],
  errors: readonly FieldProblem[],
  describe: Describe<F> = plainly,
): FieldMessages<F> {
  const out = { other: [] as string[] } as FieldMessages<F>;
  for (const f of fields) out[f] = [];
  for (const e of errors) {
    const [head, ...rest] = e.path.split('.');
    const field = fields.find((f) => f === head);
    if (field) out[field].push(describe(field, rest.join('.'), e.message));
    else out.other.push(e.path ? `${e.path}: ${e.message}` : e.message);
  }
  return out;
}

/** The aria-describedby of a field: its hint, then its problems when it has any. */
export function describedBy<F extends string>(messages: FieldMessages<F>, field: F, hint?: string) {
  return (
    [hint, messages[field].length > 0 ? `error-${field}` : undefined].filter(Boolean).join(' ') ||
    undefined
  );
}

export function FieldErrors({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <ul id={id} className="field-errors" data-testid={id}>
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

/** The form's general problems and, when fields have some, a sentence saying what failed. */
export function FormProblems<F extends string>({
  error,
  messages,
  failed,
}: {
  error: ApiError | undefined;
  messages: FieldMessages<F>;
  /** e.g. "The schedule was not created" */
  failed: string;
}) {
  if (!error) return null;
  return (
    <>
      {messages.other.length > 0 ? (
        <FieldErrors id="error-other" messages={messages.other} />
      ) : null}
      {error.errors.length === 0 ? <Problem error={error} /> : null}
      {error.errors.length > 0 ? (
        <p role="alert" className="problem">
          {failed}: {error.title}. See the fields above.
        </p>
      ) : null}
    </>
  );
}

/** The sending of a form: busy while `send` runs, its failure kept as the form's error. */
export function useSubmit(send: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const submit = async () => {
    setBusy(true);
    try {
      await send();
      setError(undefined);
    } catch (failure) {
      setError(apiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, submit };
}

interface TextFieldProps<F extends string> {
  id: string;
  field: F;
  label: string;
  value: string;
  onValue: (value: string) => void;
  messages: FieldMessages<F>;
  /** shown below the control as `${id}-hint` */
  hint?: React.ReactNode;
  multiline?: boolean;
  autoComplete?: 'off';
  spellCheck?: false;
}

/** One labelled text input (or textarea) of an API form, with its hint and problems. */
export function TextField<F extends string>(props: TextFieldProps<F>) {
  const { id, field, messages, hint, multiline, onValue } = props;
  const hintId = hint ? `${id}-hint` : undefined;
  const control = {
    id,
    name: field,
    value: props.value,
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
      onValue(e.target.value),
    'aria-invalid': messages[field].length > 0,
    'aria-describedby': describedBy(messages, field, hintId),
    autoComplete: props.autoComplete,
    spellCheck: props.spellCheck,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {multiline ? <textarea {...control} /> : <input {...control} />}
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      <FieldErrors id={`error-${field}`} messages={messages[field]} />
    </div>
  );
}

/** A headed form the API validates: its fields, its problems, its submit button, then `after`. */
export function ApiForm<F extends string>(props: {
  headingId: string;
  heading: string;
  testId: string;
  onSubmit: () => void;
  error: ApiError | undefined;
  messages: FieldMessages<F>;
  failed: string;
  submitLabel: string;
  busy: boolean;
  /** why this user may not submit it (useSession().needs), or undefined when they may */
  submitNeeds?: string;
  children: React.ReactNode;
  after?: React.ReactNode;
}) {
  return (
    <>
      <h2 id={props.headingId}>{props.heading}</h2>
      <form
        className="form"
        aria-labelledby={props.headingId}
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit();
        }}
        noValidate
        data-testid={props.testId}
      >
        {props.children}
        <FormProblems error={props.error} messages={props.messages} failed={props.failed} />
        <div className="toolbar">
          <GuardedButton
            type="submit"
            className="primary"
            needs={props.submitNeeds}
            disabled={props.busy}
          >
            {props.submitLabel}
          </GuardedButton>
        </div>
        {props.after}
      </form>
    </>
  );
}
