// A button offered only to who may use it: for anyone else it is disabled and its title
// names what is missing ("needs run.launch in staging"), so nobody clicks to learn it.
import type { ButtonHTMLAttributes } from 'react';

export interface GuardedButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** why the user may not (useSession().needs), or undefined when they may */
  needs: string | undefined;
}

export function GuardedButton({ needs, disabled, title, ...button }: GuardedButtonProps) {
  return (
    <button
      type="button"
      {...button}
      disabled={disabled || needs !== undefined}
      title={needs ?? title}
      data-needs={needs}
    />
  );
}
