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
