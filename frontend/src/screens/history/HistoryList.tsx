import type { ReactNode } from "react";
import { LoadMore } from "../../components/LoadMore";
import { Empty, ErrorState, Loading } from "../../components/States";
import { isFiltered, rangeError, type CommonFilters } from "./filters";
import type { CursorList } from "./paging";
import styles from "./History.module.css";

/** A paged history list's states: loading, error, empty (saying what to do), rows and "Load more". */
export function HistoryList<T extends { created_at: string }>({
  list,
  filters,
  noun,
  emptyHint,
  children,
}: {
  list: CursorList<T>;
  filters: CommonFilters;
  /** What the rows are, e.g. { one: "order", many: "orders" }. */
  noun: { one: string; many: string };
  emptyHint: ReactNode;
  children: (rows: T[]) => ReactNode;
}) {
  const { query, rows, canLoadMore } = list;
  if (query.isPending) return <Loading />;
  // An infinite query keeps its pages when a later read fails: only a first-page failure replaces the list.
  if (!query.data) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (rangeError(filters)) return <Empty>Fix the date range to see your {noun.many}.</Empty>;

  const loadMore = (
    <LoadMore query={query} more={canLoadMore}>
      Load more
    </LoadMore>
  );

  if (rows.length === 0) {
    return (
      <>
        <Empty>
          {!isFiltered(filters) ? emptyHint : `No ${noun.many} match these filters. Change or clear them to see more.`}
        </Empty>
        {loadMore}
      </>
    );
  }
  return (
    <>
      {children(rows)}
      <p className={`muted ${styles.count}`} aria-live="polite">
        Showing {rows.length} {rows.length === 1 ? noun.one : noun.many}
        {canLoadMore ? "; older ones are on the next page." : "."}
      </p>
      {loadMore}
    </>
  );
}
