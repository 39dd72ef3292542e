import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useChannel, useRealtimeStatus } from "../../lib/ws";
import { auctionKey, type Auction } from "./auctions";

/** How often to re-read the auction while the WebSocket is down. */
const POLL_MS = 3_000;

/**
 * Keep an auction live: each state the `auction:{id}` channel sends replaces the one held (an
 * older `seq` is ignored), and a change of status or of the bid count refreshes my bids, the
 * results and the allocations. While the socket is down, the auction is re-read every few seconds.
 */
export function useLiveAuction(auction: Auction | undefined): void {
  const queryClient = useQueryClient();
  const id = auction?.id;
  const channel = id && auction.status !== "draft" ? `auction:${id}` : null;

  useChannel(channel, (message) => {
    if (!id) return;
    if (message.type === "subscribed" && message.resumed) {
      void queryClient.invalidateQueries({ queryKey: auctionKey(id) });
      return;
    }
    if (message.type !== "auction" || message.data.id !== id) return;
    const next = message.data;
    const held = queryClient.getQueryData<Auction>(auctionKey(id));
    if (held && next.seq < held.seq) return;
    queryClient.setQueryData(auctionKey(id), next);
    if (!held || held.status !== next.status || held.bids !== next.bids || held.current_round !== next.current_round) {
      // Everything under the auction's key but the auction itself (just set).
      void queryClient.invalidateQueries({
        queryKey: auctionKey(id),
        predicate: (query) => query.queryKey.length > auctionKey(id).length,
      });
    }
  });

  const live = useRealtimeStatus() === "live";
  const settled = auction?.status === "settled" || auction?.status === "cancelled";
  useEffect(() => {
    if (!id || (live && channel) || settled) return undefined;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") void queryClient.invalidateQueries({ queryKey: auctionKey(id) });
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [id, live, channel, settled, queryClient]);
}
