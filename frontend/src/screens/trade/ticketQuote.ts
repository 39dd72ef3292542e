/** What the ticket shows before an order is sent: the yield or price, accrued interest and cash. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { BookLevel } from "../../lib/book";
import { compareDecimal, parseDecimal, type Decimal } from "../../lib/decimal";
import {
  estimateCash,
  likelyTaker,
  numberToDecimal,
  orderKind,
  priceForYield,
  toTicks,
  type CashEstimate,
  type TicketRules,
  type TicketValues,
} from "../../lib/ticket";
import { useDebounced } from "../../lib/useDebounced";

/** Significant digits kept of the accrued interest the API sends as a float. */
const ACCRUED_DIGITS = 12;
const ZERO: Decimal = { units: 0n, scale: 0 };

/** Where the market is: the last trade and the best levels of the live book. */
export interface MarketTop {
  lastPrice: string | null | undefined;
  bestBid: BookLevel | undefined;
  bestAsk: BookLevel | undefined;
}

/** The best level a market order of `side` would take from. */
const opposite = (side: TicketValues["side"], market: MarketTop) => (side === "buy" ? market.bestAsk : market.bestBid);

/** "price:100.25" or "yield:7.1": what to ask the analytics for (a string, so it debounces);
 * "any:…" when the ticket states no price yet. */
function quoteKey(values: TicketValues, market: MarketTop): string {
  const kind = orderKind(values);
  if (kind === "limit" || kind === "stop_limit") {
    if (values.priceMode === "yield") {
      const yieldPercent = parseDecimal(values.yieldPercent);
      if (yieldPercent) return `yield:${values.yieldPercent.trim()}`;
    } else {
      const price = parseDecimal(values.price);
      if (price && compareDecimal(price, ZERO) > 0) return `price:${values.price.trim()}`;
    }
  } else {
    const best = opposite(values.side, market);
    if (best) return `price:${best.price}`;
  }
  // Nothing priced yet: accrued interest and the settlement date do not depend on the price.
  return `any:${market.lastPrice ?? "100"}`;
}

/** The ticket's figures before sending. */
export interface TicketQuote {
  /** The clean price a yield limit converts to. */
  impliedPrice: Decimal | null;
  /** Percent, at the order's price (or the yield entered). */
  yieldPercent: number | null;
  settlementDate: string | null;
  cash: CashEstimate | null;
  taker: boolean;
  pending: boolean;
  error: unknown;
}

/** Price the ticket with the instrument analytics (debounced while typing). */
export function useTicketQuote(instrumentId: string, values: TicketValues, rules: TicketRules, market: MarketTop): TicketQuote {
  const key = useDebounced(quoteKey(values, market), 300);
  const [source, value = ""] = key.split(":");
  const analytics = useQuery({
    queryKey: ["market", "analytics", instrumentId, key],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/instruments/{instrument_id}/analytics", {
          params: { path: { instrument_id: instrumentId }, query: source === "yield" ? { yield: Number(value) } : { price: Number(value) } },
        }),
      ),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
    retry: false,
  });
  const data = analytics.data;
  const current = Boolean(data) && !analytics.isPlaceholderData && key === quoteKey(values, market);
  const stated = source !== "any";
  const kind = orderKind(values);
  const priced = kind === "limit" || kind === "stop_limit";

  const impliedPrice =
    priced && values.priceMode === "yield" && current && data ? priceForYield(data.clean_price, rules.tickSize, values.side) : null;
  // The clean price the order would trade at: entered, converted from the yield, or the best
  // opposite level for a market order.
  let price: Decimal | null = null;
  if (priced && values.priceMode === "price") {
    const entered = parseDecimal(values.price);
    price = entered && toTicks(entered, rules.tickSize) !== null && compareDecimal(entered, ZERO) > 0 ? entered : null;
  } else if (priced) {
    price = impliedPrice;
  } else {
    const best = opposite(values.side, market);
    price = best ? parseDecimal(best.price) : null;
  }

  const bestOpposite = opposite(values.side, market)?.price_ticks ?? null;
  const taker = !values.postOnly && likelyTaker(values.side, kind, price && toTicks(price, rules.tickSize), bestOpposite);
  const units = /^\d+$/.test(values.quantity.trim()) ? BigInt(values.quantity.trim()) : 0n;
  const accrued = data ? numberToDecimal(data.accrued_interest, ACCRUED_DIGITS) : null;
  const cash =
    price && accrued && units > 0n
      ? estimateCash({
          side: values.side,
          units,
          price,
          accruedPer100: accrued,
          faceValue: rules.faceValue,
          feeBps: taker ? rules.takerFeeBps : rules.makerFeeBps,
        })
      : null;
  return {
    impliedPrice,
    yieldPercent: stated && data ? data.yield : null,
    settlementDate: data?.settlement_date ?? null,
    cash,
    taker,
    pending: analytics.isFetching || !current,
    error: analytics.error,
  };
}
