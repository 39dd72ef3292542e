import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import type { CursorPage, CursorPaging } from "../lib/paging";
import styles from "./Pager.module.css";
import { QueryState } from "./States";

/** "Previous page" / "Next page" controls for a cursor-paged list (nothing when it has one page). */
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

/** A page of a cursor-paged query (see `usePagedQuery`): its states, its items, then the pager named `label`. */
export function PagedList<T>({
  query,
  paging,
  label,
  empty,
  children,
}: {
  query: UseQueryResult<CursorPage<T>>;
  paging: CursorPaging;
  label: string;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  return (
    <QueryState query={query} isEmpty={(page) => page.items.length === 0} empty={empty}>
      {(page) => (
        <>
          {children(page.items)}
          <Pager paging={paging} nextCursor={page.next_cursor} label={label} />
        </>
      )}
    </QueryState>
  );
}
