import type { ReactNode } from "react";
import { errorMessage } from "../api/problem";
import styles from "./LoadMore.module.css";

/** What `LoadMore` needs of an infinite query. */
interface PagedQuery {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  isFetchNextPageError: boolean;
  isRefetchError: boolean;
  error: unknown;
  fetchNextPage: () => Promise<unknown>;
}

/**
 * The button that reads an infinite query's next page (while it has one, or while `more` says
 * older rows could matter), and why the last read failed.
 */
export function LoadMore({ query, more = query.hasNextPage, children }: { query: PagedQuery; more?: boolean; children: ReactNode }) {
  return (
    <div className={styles.more}>
      {more && (
        <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? "Loading…" : children}
        </button>
      )}
      {(query.isFetchNextPageError || query.isRefetchError) && (
        <span className="field-error" role="alert">
          {errorMessage(query.error)}
        </span>
      )}
    </div>
  );
}
