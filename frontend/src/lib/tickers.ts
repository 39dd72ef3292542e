/** Tickers: fetched once, then kept current by the `ticker:{id}` channel while shown. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type components } from "../api/client";
import { useChannel } from "./ws";

export type Ticker = components["schemas"]["TickerOut"];

/** The query key of an instrument's ticker. */
export const tickerKey = (instrumentId: string) => ["market", "ticker", instrumentId] as const;

/**
 * An instrument's ticker. `fetch` false reads only what the cache holds (seeded by a bulk
 * request); `live` keeps it current over the WebSocket.
 */
export function useTicker(instrumentId: string, { live = true, fetch = true }: { live?: boolean; fetch?: boolean } = {}) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: tickerKey(instrumentId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/instruments/{instrument_id}/ticker", { params: { path: { instrument_id: instrumentId } } })),
    enabled: fetch,
    staleTime: live ? Infinity : 5_000,
  });
  useChannel(live ? `ticker:${instrumentId}` : null, (message) => {
    if (message.type === "ticker") queryClient.setQueryData(tickerKey(instrumentId), message.data);
  });
  return query;
}
