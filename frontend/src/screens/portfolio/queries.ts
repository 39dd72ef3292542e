import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type components } from "../../api/client";
import { useLiveChannel, useRefresher } from "../../lib/live";

export type Totals = components["schemas"]["TotalsOut"];
export type Cash = components["schemas"]["CashOut"];
export type Holding = components["schemas"]["HoldingOut"];
export type PnlRow = components["schemas"]["PnlRow"];
export type PnlTotals = components["schemas"]["PnlTotals"];
export type Cashflow = components["schemas"]["CashflowOut"];

/** Query keys of the portfolio: everything under `all`, so one invalidation refreshes the screen. */
export const portfolioKeys = {
  all: ["portfolio"] as const,
  summary: ["portfolio", "summary"] as const,
  holdings: ["portfolio", "holdings"] as const,
  pnl: ["portfolio", "pnl"] as const,
  cashflows: (until: string) => ["portfolio", "cashflows", until] as const,
  recentTrades: (limit: number) => ["portfolio", "recent-trades", limit] as const,
};

/** Totals per currency and cash by bucket (GET /api/v1/portfolio). */
export function usePortfolioSummary() {
  return useQuery({ queryKey: portfolioKeys.summary, queryFn: () => unwrap(api.GET("/api/v1/portfolio")) });
}

/** Every holding with its figures at the mark (GET /api/v1/portfolio/holdings). */
export function useHoldings() {
  return useQuery({ queryKey: portfolioKeys.holdings, queryFn: () => unwrap(api.GET("/api/v1/portfolio/holdings")) });
}

/** P&L per instrument and in total (GET /api/v1/portfolio/pnl). */
export function usePnl() {
  return useQuery({ queryKey: portfolioKeys.pnl, queryFn: () => unwrap(api.GET("/api/v1/portfolio/pnl")) });
}

/** Upcoming coupons and redemptions paid up to `until` (GET /api/v1/portfolio/cashflows). */
export function useCashflows(until: string) {
  return useQuery({
    queryKey: portfolioKeys.cashflows(until),
    queryFn: () => unwrap(api.GET("/api/v1/portfolio/cashflows", { params: { query: { until } } })),
    placeholderData: (previous) => previous,
  });
}

/** My latest fills, for their contract notes (GET /api/v1/trades). */
export function useRecentTrades(limit: number) {
  return useQuery({
    queryKey: portfolioKeys.recentTrades(limit),
    queryFn: () => unwrap(api.GET("/api/v1/trades", { params: { query: { limit } } })),
  });
}

/** Keep every portfolio query live: re-read after my fills and portfolio changes. */
export function usePortfolioLive(): void {
  const refresh = useRefresher(portfolioKeys.all);
  useLiveChannel("portfolio", refresh);
  useLiveChannel("fills", refresh);
}
