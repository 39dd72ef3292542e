import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useChannel, useRealtimeStatus } from "../../lib/ws";
import { storeRfq, storeSnapshot } from "./cache";
import { DEALERS, RFQS_KEY } from "./rfq";

/** How often to re-read my RFQs while the WebSocket is down. */
const POLL_MS = 3_000;

/**
 * Keep my RFQs live while mounted (one caller per screen): the `rfq` channel's first state
 * (all my live RFQs) and each change to one of them go into the query cache; while the socket
 * or the channel is down, everything RFQ is re-read every few seconds instead.
 */
export function useLiveRfqs(): void {
  const queryClient = useQueryClient();
  const [refused, setRefused] = useState(false);
  useChannel("rfq", (message) => {
    if (message.type === "rfqs") {
      setRefused(false);
      storeSnapshot(queryClient, message.data);
    } else if (message.type === "rfq") storeRfq(queryClient, message.data);
    else if (message.type === "error") setRefused(true);
  });

  const polling = useRealtimeStatus() !== "live" || refused;
  useEffect(() => {
    if (!polling) return undefined;
    const timer = window.setInterval(() => {
      if (document.visibilityState !== "visible") return;
      void queryClient.invalidateQueries({ queryKey: RFQS_KEY, predicate: (query) => query.queryKey[1] !== DEALERS });
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [polling, queryClient]);
}
