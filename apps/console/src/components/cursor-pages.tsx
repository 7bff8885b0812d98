'use client';
import { useCallback, useState } from 'react';

/**
 * Keyset paging as the API does it: a page names the next one by its cursor, and the way
 * back is the cursors of the pages before this one, remembered here.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    /** the cursor of this page (undefined on the first) */
    cursor: cursors.at(-1),
    /** 1 for the first page */
    number: cursors.length + 1,
    reset: useCallback(() => setCursors([]), []),
    back: useCallback(() => setCursors((c) => c.slice(0, -1)), []),
    forward: useCallback((next: string) => setCursors((c) => [...c, next]), []),
  };
}

/** Previous and Next buttons over useCursorPages; Next goes to `nextCursor` when there is one. */
export function CursorPager({
  pages,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
}) {
  return (
    <div className="toolbar">
      <button type="button" disabled={pages.number === 1} onClick={pages.back}>
        Previous page
      </button>
      <button
        type="button"
        disabled={!nextCursor}
        onClick={() => {
          if (nextCursor) pages.forward(nextCursor);
        }}
      >
        Next page
      </button>
    </div>
  );
}
