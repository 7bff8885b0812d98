'use client';
import { controlApi } from '@loadline/api/http';
import { useApi } from '@/lib/api';

/** A banner on every page while the control API does not answer. */
export function ControlBanner() {
  const { error } = useApi(controlApi.health, {}, 5000);
  if (!error) return null;
  return (
    <div role="alert" className="banner" data-testid="control-down">
      <strong>Control API unreachable.</strong> {error.detail ?? error.message}. Pages show what
      they last loaded; they recover by themselves when control answers again.
    </div>
  );
}
