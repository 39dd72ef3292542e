import { useState } from "react";
import styles from "./admin.module.css";

/** Cursor paging state: the cursors of the pages visited, starting over when the filters change. */
export interface CursorPaging {
  /** The cursor of the page shown (null: the first page). */
  cursor: string | null;
  /** 1-based number of the page shown. */
  page: number;
  next: (cursor: string) => void;
  previous: () => void;
}

/** Walk a cursor-paged list; `filterKey` changing (new filters) returns to the first page. */
export function useCursorPaging(filterKey: string): CursorPaging {
  const [state, setState] = useState<{ key: string; cursors: (string | null)[] }>({
    key: filterKey,
    cursors: [null],
  });
  const cursors = state.key === filterKey ? state.cursors : [null];
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    page: cursors.length,
    next: (cursor) => setState({ key: filterKey, cursors: [...cursors, cursor] }),
    previous: () => setState({ key: filterKey, cursors: cursors.length > 1 ? cursors.slice(0, -1) : [null] }),
  };
}

/** "Previous page" / "Next page" controls for a cursor-paged table. */
export function Pager({ paging, nextCursor, label }: { paging: CursorPaging; nextCursor: string | null; label: string }) {
  if (paging.page === 1 && !nextCursor) return null;
  return (
    <nav className={styles.pager} aria-label={`${label} pages`}>
      <button type="button" onClick={paging.previous} disabled={paging.page === 1}>
        Previous page
      </button>
      <span className="muted">Page {paging.page}</span>
      <button type="button" onClick={() => nextCursor && paging.next(nextCursor)} disabled={!nextCursor}>
        Next page
      </button>
    </nav>
  );
}
