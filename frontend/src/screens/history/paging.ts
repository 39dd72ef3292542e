import { useInfiniteQuery, type InfiniteData, type QueryKey, type UseInfiniteQueryResult } from "@tanstack/react-query";
import { onLocalDayWithin } from "../../lib/dates";
import type { CursorPage } from "../../lib/paging";

/** A window of local calendar days ("" for an open end). */
export interface DateRange {
  from: string;
  to: string;
}

/**
 * The loaded rows of a newest-first list that fall within the date range, and whether older pages
 * could still hold some (none can once the oldest loaded row is before the range).
 */
export function rowsInRange<T extends { created_at: string }>(
  pages: readonly CursorPage<T>[],
  range: DateRange,
): { rows: T[]; olderMayMatch: boolean } {
  const all = pages.flatMap((page) => page.items);
  const rows = all.filter((row) => onLocalDayWithin(row.created_at, range.from, range.to));
  const oldest = all.at(-1);
  const olderMayMatch = !range.from || !oldest || onLocalDayWithin(oldest.created_at, range.from, "");
  return { rows, olderMayMatch };
}

/** A paged list as a screen shows it. */
export interface CursorList<T> {
  query: UseInfiniteQueryResult<InfiniteData<CursorPage<T>>>;
  /** The loaded rows within the date range. */
  rows: T[];
  /** How many rows are loaded in all. */
  loaded: number;
  canLoadMore: boolean;
}

/**
 * A newest-first list read page by page with the API's cursor. The API has no date filter, so the
 * date range applies to the loaded rows; "load more" is offered while older pages could match.
 */
export function useCursorList<T extends { created_at: string }>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | null) => Promise<CursorPage<T>>,
  range: DateRange,
): CursorList<T> {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  const { rows, olderMayMatch } = rowsInRange(query.data?.pages ?? [], range);
  return {
    query,
    rows,
    loaded: query.data?.pages.reduce((count, page) => count + page.items.length, 0) ?? 0,
    canLoadMore: query.hasNextPage && olderMayMatch,
  };
}
