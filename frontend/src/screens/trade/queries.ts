/** The trade screen's data: REST queries, and the channels that keep them current. */
import { queryOptions, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { BALANCES_KEY } from "../../lib/balances";
import { applyDelta, bookFromSnapshot, type Book } from "../../lib/book";
import { OPEN_STATES } from "../../lib/orders";
import { realtime, useChannel, type OrderUpdate, type TapeTrade } from "../../lib/ws";

export type { Instrument } from "../../lib/instruments";
export type Order = components["schemas"]["OrderOut"];
export type MyTrade = components["schemas"]["TradeOut"];
export type CandleInterval = components["schemas"]["CandleInterval"];

const TAPE_SIZE = 50;

const keys = {
  tape: (id: string) => ["market", "tape", id] as const,
  candles: (id: string, interval: CandleInterval) => ["market", "candles", id, interval] as const,
  openOrders: (id: string) => ["orders", "open", id] as const,
  myTrades: (id: string) => ["trades", "mine", id] as const,
};

/** The latest public trades, newest first. */
export const tapeQuery = (id: string) =>
  queryOptions({
    queryKey: keys.tape(id),
    queryFn: async (): Promise<TapeTrade[]> =>
      (
        await unwrap(
          api.GET("/api/v1/instruments/{instrument_id}/trades", {
            params: { path: { instrument_id: id }, query: { limit: TAPE_SIZE } },
          }),
        )
      ).items,
    staleTime: Infinity, // the trades channel keeps it current
  });

/** Candles of one interval, oldest first. */
export const candlesQuery = (id: string, interval: CandleInterval) =>
  queryOptions({
    queryKey: keys.candles(id, interval),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/instruments/{instrument_id}/candles", {
          params: { path: { instrument_id: id }, query: { interval } },
        }),
      ),
  });

/** My open orders in this instrument, newest first. */
export const openOrdersQuery = (id: string) =>
  queryOptions({
    queryKey: keys.openOrders(id),
    queryFn: async () =>
      (await unwrap(api.GET("/api/v1/orders", { params: { query: { instrument_id: id, open: true, limit: 200 } } }))).items,
    staleTime: Infinity, // the orders channel keeps it current
  });

/** My fills in this instrument, newest first. */
export const myTradesQuery = (id: string) =>
  queryOptions({
    queryKey: keys.myTrades(id),
    queryFn: async () =>
      (await unwrap(api.GET("/api/v1/trades", { params: { query: { instrument_id: id, limit: 50 } } }))).items,
  });

/** Add trades from the channel to the tape (newest first, once each). */
export function mergeTape(held: readonly TapeTrade[], incoming: readonly TapeTrade[]): TapeTrade[] {
  const seen = new Set(held.map((trade) => trade.id));
  const fresh = incoming.filter((trade) => !seen.has(trade.id));
  return [...fresh, ...held].sort((a, b) => b.trade_seq - a.trade_seq).slice(0, TAPE_SIZE);
}

/** The tape, live over `trades:{id}`. */
export function useTape(id: string) {
  const queryClient = useQueryClient();
  const query = useQuery(tapeQuery(id));
  useChannel(`trades:${id}`, (message) => {
    if (message.type === "trades") {
      queryClient.setQueryData(keys.tape(id), (held: TapeTrade[] | undefined) => mergeTape(held ?? [], message.data));
    } else if (message.type === "subscribed" && message.resumed) {
      void queryClient.invalidateQueries({ queryKey: keys.tape(id) });
    }
  });
  return query;
}

/** A live book: null until its snapshot; `resyncing` while a gap waits for a new one. */
export interface LiveBook {
  book: Book | null;
  resyncing: boolean;
  error: string | null;
}

/** The order book, live over `book:{id}`: a snapshot, then deltas; a gap subscribes again. */
export function useLiveBook(id: string): LiveBook {
  const channel = `book:${id}`;
  const held = useRef<Book | null>(null);
  const resyncing = useRef(false);
  const [state, setState] = useState<LiveBook>({
    book: null,
    resyncing: false,
    error: null,
  });
  useChannel(channel, (message) => {
    if (message.type === "snapshot") {
      held.current = bookFromSnapshot(message.data);
      resyncing.current = false;
      setState({ book: held.current, resyncing: false, error: null });
    } else if (message.type === "delta") {
      if (!held.current || resyncing.current) return; // a snapshot is on its way
      const result = applyDelta(held.current, message.data);
      if (result.kind === "gap") {
        resyncing.current = true;
        realtime.resubscribe(channel);
        setState((previous) => ({ ...previous, resyncing: true }));
      } else if (result.kind === "applied") {
        held.current = result.book;
        setState({ book: result.book, resyncing: false, error: null });
      }
    } else if (message.type === "error") {
      setState((previous) => ({ ...previous, error: message.detail }));
    }
  });
  return state;
}

/** Apply an `orders` event to the open orders held: update, drop when done, or refetch. */
function updateOpenOrders(queryClient: QueryClient, update: OrderUpdate): void {
  const key = keys.openOrders(update.instrument_id);
  const held = queryClient.getQueryData<Order[]>(key);
  const open = OPEN_STATES.has(update.status);
  const known = held?.some((order) => order.id === update.order_id);
  if (!held || (open && !known)) {
    void queryClient.invalidateQueries({ queryKey: key });
    return;
  }
  queryClient.setQueryData<Order[]>(key, (orders = []) =>
    open
      ? orders.map((order) =>
          order.id === update.order_id
            ? {
                ...order,
                status: update.status,
                quantity: update.quantity,
                filled_quantity: update.filled_quantity,
                cancelled_quantity: update.cancelled_quantity,
                leaves_quantity: update.leaves_quantity,
                price: update.price ?? order.price,
                reserved: update.reserved,
              }
            : order,
        )
      : orders.filter((order) => order.id !== update.order_id),
  );
}

/** Keep my orders and fills current over the `orders` and `fills` channels; a fill also makes
 * balances and the portfolio stale. */
export function useMyUpdates(): void {
  const queryClient = useQueryClient();
  useChannel("orders", (message) => {
    if (message.type === "order") updateOpenOrders(queryClient, message.data);
    else if (message.type === "subscribed" && message.resumed) void queryClient.invalidateQueries({ queryKey: ["orders"] });
  });
  useChannel("fills", (message) => {
    if (message.type === "fill" || (message.type === "subscribed" && message.resumed)) {
      for (const prefix of ["trades", "portfolio", ...BALANCES_KEY]) void queryClient.invalidateQueries({ queryKey: [prefix] });
    }
  });
}

/** Refetch my orders (after placing or cancelling, in case the channel is down). */
export function refreshOrders(queryClient: QueryClient, id: string): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: keys.openOrders(id) });
}
