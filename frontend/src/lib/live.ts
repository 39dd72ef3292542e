import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useCallback, useEffect, useRef } from "react";
import { useChannel, useRealtimeStatus, type ChannelMessage } from "./ws";

/** The WebSocket channels whose messages mean my orders, fills or portfolio changed. */
export type LiveChannel = "portfolio" | "fills" | "orders";

/** How often to re-read while the WebSocket is down. */
const POLL_MS = 3_000;
/** Messages arriving this close together (a burst of fills, or fills and the portfolio) cause one refresh. */
const COALESCE_MS = 150;

/** Call `onTick` every few seconds while the page is visible (`active` false: never). */
function usePolling(active: boolean, onTick: () => void): void {
  useEffect(() => {
    if (!active) return undefined;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") onTick();
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [active, onTick]);
}

/** Does this message say something may have changed (not a fresh subscription's ack, nor an error)? */
function isChange(message: ChannelMessage): boolean {
  if (message.type === "subscribed") return message.resumed;
  return message.type !== "error";
}

/**
 * Call `onChange` when a channel of the shared WebSocket reports a change (or reconnects after
 * missing some); while the socket is not live, every few seconds instead.
 */
export function useLiveChannel(channel: LiveChannel, onChange: () => void): void {
  useChannel(channel, (message) => {
    if (isChange(message)) onChange();
  });
  usePolling(useRealtimeStatus() !== "live", onChange);
}

/**
 * A stable callback that invalidates the queries under `queryKey` (a module constant), coalescing a
 * burst of calls into one refetch.
 */
export function useRefresher(queryKey: QueryKey): () => void {
  const queryClient = useQueryClient();
  const pending = useRef<number | null>(null);
  useEffect(
    () => () => {
      if (pending.current !== null) window.clearTimeout(pending.current);
      pending.current = null;
    },
    [],
  );
  return useCallback(() => {
    if (pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      void queryClient.invalidateQueries({ queryKey });
    }, COALESCE_MS);
  }, [queryClient, queryKey]);
}
