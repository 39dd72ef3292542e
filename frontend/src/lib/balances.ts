/** My balances (GET /api/v1/accounts): one cached copy for the funds, trade and portfolio screens. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { api, unwrap } from "../api/client";
import { currencyScale } from "./decimal";
import { useChannel } from "./ws";

/** The balances' query key; invalidating it refreshes every screen that shows them. */
export const BALANCES_KEY = ["accounts"] as const;

/**
 * My balances by asset and bucket. `live` also applies the `balances` channel's updates;
 * `staleTime` lets readers that only need the scales keep them longer.
 */
export function useBalances({ live = false, staleTime }: { live?: boolean; staleTime?: number } = {}) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: BALANCES_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/accounts")),
    ...(staleTime === undefined ? {} : { staleTime }),
  });
  useChannel(live ? "balances" : null, (message) => {
    if (message.type === "balances") queryClient.setQueryData(BALANCES_KEY, message.data);
  });
  return query;
}

/**
 * The ledger's scale of each currency, from my balances, for amounts the API sends without their
 * scale (trades). Falls back to the ISO digits for a currency I hold no balance in.
 */
export function useCurrencyScale(): (currency: string) => number {
  const data = useBalances({ staleTime: 5 * 60_000 }).data;
  return useCallback(
    (currency: string) => data?.find((balance) => balance.asset === currency)?.scale ?? currencyScale(currency),
    [data],
  );
}
