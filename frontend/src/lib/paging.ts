/** Cursor-paged lists: the API answers a page of `items` and the `next_cursor` of the page after it. */
import { keepPreviousData, useQuery, type QueryKey } from "@tanstack/react-query";
import { useState } from "react";

/** A page of a cursor-paged list, as the API answers it. */
export interface CursorPage<T> {
  items: T[];
  next_cursor: string | null;
}

/** The cursor of the page after `page`, as TanStack's infinite queries want it (undefined: none). */
export function nextCursor(page: { next_cursor?: string | null }): string | undefined {
  return page.next_cursor ?? undefined;
}

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

/**
 * One page at a time of a cursor-paged list, with "previous" and "next": `filters` (any JSON)
 * key the query and, when they change, go back to the first page. The page shown stays while
 * the next one loads.
 */
export function usePagedQuery<T>({
  queryKey,
  filters,
  fetchPage,
  enabled,
}: {
  queryKey: QueryKey;
  filters: unknown;
  fetchPage: (cursor: string | null) => Promise<CursorPage<T>>;
  enabled?: boolean;
}) {
  const paging = useCursorPaging(JSON.stringify(filters));
  const query = useQuery({
    queryKey: [...queryKey, { filters, cursor: paging.cursor }],
    queryFn: () => fetchPage(paging.cursor),
    placeholderData: keepPreviousData,
    ...(enabled === undefined ? {} : { enabled }),
  });
  return { query, paging };
}
