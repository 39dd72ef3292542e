import type { components } from "../../api/client";
import type { OrderState } from "../../lib/orders";
import { localDaysAsInstants } from "../../lib/dates";
import type { DateRange } from "./paging";

export type OrderSide = components["schemas"]["OrderSide"];

/** Filters both lists share: an instrument ("" for any) and a date range. */
export interface CommonFilters extends DateRange {
  instrumentId: string;
}

/** The Orders tab's filters; status "open" means every resting order. */
export interface OrderFilters extends CommonFilters {
  side: "" | OrderSide;
  status: "" | "open" | OrderState;
}

export type TradeFilters = CommonFilters;

export const NO_ORDER_FILTERS: OrderFilters = { instrumentId: "", from: "", to: "", side: "", status: "" };
export const NO_TRADE_FILTERS: TradeFilters = { instrumentId: "", from: "", to: "" };

/** The date range's problem, if any (the lists cannot show a range that ends before it starts). */
export function rangeError(range: DateRange): string | undefined {
  return range.from && range.to && range.from > range.to ? "Start on or before the end date." : undefined;
}

/** Is any filter set? */
export function isFiltered(filters: CommonFilters): boolean {
  return Object.values(filters).some((value) => value !== "");
}

/** The GET /api/v1/trades query for these filters (the days are the viewer's local days). */
export function tradesQuery(filters: TradeFilters) {
  return { instrument_id: filters.instrumentId || undefined, ...localDaysAsInstants(filters.from, filters.to) };
}

/** The GET /api/v1/orders query for these filters. */
export function ordersQuery(filters: OrderFilters) {
  return {
    ...tradesQuery(filters),
    side: filters.side || undefined,
    status: filters.status && filters.status !== "open" ? filters.status : undefined,
    open: filters.status === "open" || undefined,
  };
}
