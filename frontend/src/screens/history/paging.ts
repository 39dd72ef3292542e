import { useInfiniteQuery, type InfiniteData, type QueryKey, type UseInfiniteQueryResult } from "@tanstack/react-query";
import type { CursorPage } from "../../lib/paging";

/** A window of local calendar days ("" for an open end). */
export interface DateRange {
  from: string;
  to: string;
}

/** A paged list as a screen shows it. */
export interface CursorList<T> {
  query: UseInfiniteQueryResult<InfiniteData<CursorPage<T>>>;
  /** The loaded rows. */
  rows: T[];
  canLoadMore: boolean;
}

/** A newest-first list read page by page with the API's cursor (the API applies the filters). */
export function useCursorList<T>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | null) => Promise<CursorPage<T>>,
): CursorList<T> {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  return { query, rows: query.data?.pages.flatMap((page) => page.items) ?? [], canLoadMore: query.hasNextPage };
}
