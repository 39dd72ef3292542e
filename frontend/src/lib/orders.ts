/** Orders' states and the words for their types, times in force and statuses. */
import type { components } from "../api/client";

type Schemas = components["schemas"];
export type OrderState = Schemas["OrderState"];

/** Every order status, in lifecycle order. */
export const ORDER_STATES: readonly OrderState[] = [
  "queued",
  "pending_trigger",
  "new",
  "partially_filled",
  "filled",
  "cancelled",
  "expired",
  "rejected",
];

/** Statuses of an order that can still trade, and so be cancelled. */
export const OPEN_STATES: ReadonlySet<string> = new Set<OrderState>(["queued", "pending_trigger", "new", "partially_filled"]);

export const ORDER_TYPES: Record<Schemas["OrderKind"], string> = {
  limit: "Limit",
  market: "Market",
  stop: "Stop",
  stop_limit: "Stop limit",
};

export const TIMES_IN_FORCE: Record<Schemas["OrderTif"], string> = {
  gtc: "Good till cancelled (GTC)",
  day: "Day",
  gtd: "Good till date (GTD)",
  ioc: "Immediate or cancel (IOC)",
  fok: "Fill or kill (FOK)",
};

export const ORDER_STATUSES: Record<OrderState, string> = {
  queued: "Queued for the open",
  pending_trigger: "Waiting for its stop",
  new: "Open",
  partially_filled: "Partly filled",
  filled: "Filled",
  cancelled: "Cancelled",
  expired: "Expired",
  rejected: "Rejected",
};

export const SELF_TRADE: Record<Schemas["SelfTradePrevention"], string> = {
  cancel_newest: "Cancel the new order",
  cancel_oldest: "Cancel the resting order",
  cancel_both: "Cancel both",
  decrement: "Decrement both",
};
