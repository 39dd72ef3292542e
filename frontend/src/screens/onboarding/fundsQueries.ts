/** The funds screen's queries, keyed by API path so every screen shares them. */
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { nextCursor } from "../../lib/paging";
import { anyPending } from "./funds";

export const BANK_ACCOUNTS_KEY = ["bank-accounts"] as const;
export const PAYMENTS_KEY = ["payments"] as const;
const PAYMENTS_PAGE = 20;
const PENDING_POLL_MS = 2000;

/** My bank accounts (numbers masked). */
export function useBankAccounts() {
  return useQuery({ queryKey: BANK_ACCOUNTS_KEY, queryFn: () => unwrap(api.GET("/api/v1/bank-accounts")) });
}

/** My deposits and withdrawals, newest first, page by page; polled while any is pending. */
export function usePayments() {
  return useInfiniteQuery({
    queryKey: PAYMENTS_KEY,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/payments", { params: { query: { limit: PAYMENTS_PAGE, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => anyPending(page.items)) ? PENDING_POLL_MS : false,
  });
}
