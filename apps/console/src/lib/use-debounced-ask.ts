// Asking control about something while it is being edited: the question goes `delayMs` after
// the last change, and the answer to a question since replaced is dropped.
import { useEffect, useRef, useState } from 'react';
import { type ApiError, apiError } from './api';

/** The answer to `ask(request)`, asked again as the request changes (null: nothing to ask). */
export function useDebouncedAsk<Q, A>(
  request: Q | null,
  ask: (request: Q) => Promise<A>,
  delayMs: number,
) {
  const [answer, setAnswer] = useState<A>();
  const [error, setError] = useState<ApiError>();
  const [asking, setAsking] = useState(false);
  // The effect runs on the request; the ask it calls is this render's.
  const latest = useRef(ask);
  latest.current = ask;
  useEffect(() => {
    if (request === null) return;
    let live = true;
    setAsking(true);
    const timer = setTimeout(() => {
      latest
        .current(request)
        .then((a) => {
          if (!live) return;
          setAnswer(a);
          setError(undefined);
        })
        .catch((e: unknown) => {
          if (!live) return;
          // No stale answer beside the error: it was not this request's.
          setAnswer(undefined);
          setError(apiError(e));
        })
        .finally(() => {
          if (live) setAsking(false);
        });
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [request, delayMs]);
  return { answer, error, setError, asking };
}
