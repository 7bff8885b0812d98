'use client';
// The browser's only door to control: /api/control/* on the console's own origin.
import { useCallback, useEffect, useState } from 'react';
import type { ScenarioProblem } from './types';

export const API = '/api/control';

/** A failed call: an RFC 9457 problem from control, or control not answering at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: ScenarioProblem[] = [],
    /** true when control did not answer (down, wrong LOADLINE_API) */
    readonly unreachable = false,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

async function problemOf(response: Response): Promise<ApiError> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    const body = (await response.json().catch(() => ({}))) as {
      title?: string;
      detail?: string;
      errors?: Array<ScenarioProblem & { field?: string }>;
      unreachable?: boolean;
    };
    const errors = (body.errors ?? []).map((e) => ({ ...e, path: e.path ?? e.field ?? '' }));
    return new ApiError(
      response.status,
      body.title ?? response.statusText,
      body.detail,
      errors,
      body.unreachable === true,
    );
  }
  return new ApiError(response.status, response.statusText || 'request failed', undefined);
}

export async function apiCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API}${path}`, {
      method,
      cache: 'no-store',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ApiError(0, 'console unreachable', String(error), [], true);
  }
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (null: nothing to load yet), and again every `refreshMs` when given. */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick forces a reload
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoading(true);
    apiCall<T>('GET', path)
      .then((value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (live) setError(e instanceof ApiError ? e : new ApiError(0, String(e), undefined));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [path, tick]);
  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);
  return { data, error, loading, reload };
}
