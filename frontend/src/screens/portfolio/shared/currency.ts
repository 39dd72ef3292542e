import { useQuery } from "@tanstack/react-query";
import { useCallback } from "react";
import { api, unwrap } from "../../../api/client";

/** The ISO 4217 minor-unit digits of a currency (2 for INR), for when the ledger has not told us its scale. */
export function isoScale(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/**
 * The ledger's scale of each currency, from my balances (GET /api/v1/accounts), for amounts the API
 * sends without their scale (trades). Falls back to the ISO digits for a currency I hold no balance in.
 */
export function useCurrencyScale(): (currency: string) => number {
  const balances = useQuery({
    queryKey: ["accounts", "balances"],
    queryFn: () => unwrap(api.GET("/api/v1/accounts")),
    staleTime: 5 * 60_000,
  });
  const data = balances.data;
  return useCallback(
    (currency: string) => data?.find((balance) => balance.asset === currency)?.scale ?? isoScale(currency),
    [data],
  );
}
