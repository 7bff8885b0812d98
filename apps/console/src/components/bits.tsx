import type { RunStatus } from '@loadline/api';
import type { ApiError, Loaded } from '@/lib/api';

export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge badge-${status}`} data-testid="run-status">
      {status}
    </span>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Problem({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" className="problem">
      {error.unreachable ? 'Control API unreachable: ' : ''}
      {error.message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** What a list's page says before its table: the failure, the first load, or that it is empty. */
export function ListState({
  loaded,
  what,
  count,
  empty,
  children,
}: {
  loaded: Pick<Loaded<unknown>, 'data' | 'error' | 'loading'>;
  /** e.g. "schedules", as in "Loading schedules…" */
  what: string;
  count: number;
  empty: React.ReactNode;
  /** shown when there is something to show */
  children?: React.ReactNode;
}) {
  return (
    <>
      <Problem error={loaded.error} />
      {loaded.loading && !loaded.data ? <Loading what={what} /> : null}
      {loaded.data && count === 0 ? <Empty>{empty}</Empty> : null}
      {count > 0 ? children : null}
    </>
  );
}
