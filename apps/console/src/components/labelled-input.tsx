// An input inside its label: the forms' one shape for a named value (the label names it
// for screen readers and tests). Anything after the input (a hint) goes in children.
import type { InputHTMLAttributes, ReactNode } from 'react';

export interface LabelledInputProps extends InputHTMLAttributes<HTMLInputElement> {
  label: ReactNode;
  children?: ReactNode;
}

export function LabelledInput({ label, children, ...input }: LabelledInputProps) {
  return (
    <label>
      {label}
      <input {...input} />
      {children}
    </label>
  );
}

export interface NumberInputProps extends Omit<LabelledInputProps, 'type' | 'onChange'> {
  /** the text typed, as typed */
  onValue: (text: string) => void;
}

/** A labelled number input whose change hands back the text typed. */
export function NumberInput({ onValue, ...props }: NumberInputProps) {
  return <LabelledInput type="number" {...props} onChange={(e) => onValue(e.target.value)} />;
}
