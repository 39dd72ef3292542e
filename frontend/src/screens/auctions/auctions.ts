/** Auctions: API types, query keys and the pure rules the screens share (schedule, steps, bid checks). */
import { queryOptions } from "@tanstack/react-query";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import type { Tone } from "../../components/StatusBadge";
import { compareDecimal, isMultipleOf, parseDecimal } from "../../lib/decimal";

export type Auction = components["schemas"]["AuctionOut"];
export type AuctionStatus = components["schemas"]["AuctionStatus"];
export type AuctionFormat = components["schemas"]["AuctionFormat"];
export type Bid = components["schemas"]["BidOut"];
export type BidStatus = components["schemas"]["BidStatus"];
export type Results = components["schemas"]["ResultsOut"];
export type Allocation = components["schemas"]["AllocationOut"];

export const AUCTIONS_KEY = ["auctions"] as const;

export const auctionKey = (id: string) => [...AUCTIONS_KEY, "one", id] as const;

/** One auction (also kept fresh by the `auction:{id}` channel). */
export function auctionQuery(id: string) {
  return queryOptions({
    queryKey: auctionKey(id),
    queryFn: () => unwrap(api.GET("/api/v1/auctions/{auction_id}", { params: { path: { auction_id: id } } })),
  });
}

/** My bids in an auction, by number. */
export function myBidsQuery(id: string) {
  return queryOptions({
    queryKey: [...auctionKey(id), "my-bids"],
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/auctions/{auction_id}/bids", { params: { path: { auction_id: id }, query: { mine: true, limit: 200 } } }),
        )
      ).items,
  });
}

/** The published results of a cleared auction. */
export function resultsQuery(id: string, enabled: boolean) {
  return queryOptions({
    queryKey: [...auctionKey(id), "results"],
    queryFn: () => unwrap(api.GET("/api/v1/auctions/{auction_id}/results", { params: { path: { auction_id: id } } })),
    enabled,
  });
}

/** Allocations once cleared: mine (the issuer and admins: every bid's). */
export function allocationsQuery(id: string, enabled: boolean) {
  return queryOptions({
    queryKey: [...auctionKey(id), "allocations"],
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/auctions/{auction_id}/allocations", { params: { path: { auction_id: id }, query: { limit: 200 } } }),
        )
      ).items,
    enabled,
  });
}

export const STATUS_TONES: Record<AuctionStatus, Tone> = {
  draft: "neutral",
  announced: "info",
  bidding: "good",
  closed: "warn",
  cleared: "info",
  settled: "neutral",
  cancelled: "bad",
};

export const BID_STATUS_TONES: Record<BidStatus, Tone> = {
  active: "info",
  withdrawn: "neutral",
  outbid: "warn",
  allotted: "good",
  not_allotted: "neutral",
  cancelled: "bad",
};

export const FORMAT_LABELS: Record<AuctionFormat, string> = {
  uniform: "Uniform price",
  multiple: "Multiple price",
  english: "English (ascending)",
  multi_round: "Multi-round",
};

/** Results are published in these statuses. */
export const hasResults = (status: AuctionStatus) => status === "cleared" || status === "settled";

/** The next scheduled moment of an auction and what happens then, or null when nothing is scheduled. */
export function nextMilestone(auction: Pick<Auction, "status" | "announce_at" | "opens_at" | "closes_at">): {
  label: string;
  at: string;
} | null {
  switch (auction.status) {
    case "draft":
      return { label: "Announced", at: auction.announce_at };
    case "announced":
      return { label: "Opens", at: auction.opens_at };
    case "bidding":
      return { label: "Closes", at: auction.closes_at };
    default:
      return null;
  }
}

/** A lifecycle step the issuer or an admin may take by hand. */
export type Step = "announce" | "open" | "close" | "clear" | "settle" | "cancel";

const STEPS_BY_STATUS: Record<AuctionStatus, Step[]> = {
  draft: ["announce", "cancel"],
  announced: ["open", "cancel"],
  bidding: ["close", "cancel"],
  closed: ["clear", "cancel"],
  cleared: ["settle", "cancel"],
  settled: [],
  cancelled: [],
};

/** The steps valid from a status (the server's transition table, manual steps only). */
export function stepsFor(status: AuctionStatus): Step[] {
  return STEPS_BY_STATUS[status];
}

export const STEP_LABELS: Record<Step, string> = {
  announce: "Announce now",
  open: "Open bidding",
  close: "Close bidding",
  clear: "Clear",
  settle: "Settle",
  cancel: "Cancel auction",
};

/** Whether this auction takes non-competitive bids. */
export function offersNonCompetitive(auction: Pick<Auction, "format" | "non_competitive_share">): boolean {
  if (auction.format === "english") return false;
  const share = parseDecimal(auction.non_competitive_share);
  return share !== null && share.units > 0n;
}

/** The bid form's values, as typed. */
export interface BidValues {
  competitive: boolean;
  quote: string;
  quantity: string;
}

type BidRules = Pick<
  Auction,
  "basis" | "format" | "min_bid" | "bid_multiple" | "offering" | "min_price" | "max_price" | "min_yield" | "max_yield"
> & { bond: Pick<Auction["bond"], "tick_size"> };

const WHOLE = /^\d+$/;

/** The bid form's schema for this auction's rules: units in the minimum and multiple, a quote per its basis. */
export function bidSchema(auction: BidRules, english: { minimumBid: string | null } = { minimumBid: null }) {
  const isPrice = auction.basis === "price";
  const low = isPrice ? auction.min_price : auction.min_yield;
  const high = isPrice ? auction.max_price : auction.max_yield;
  return z
    .object({ competitive: z.boolean(), quote: z.string().trim(), quantity: z.string().trim() })
    .superRefine((values, ctx) => {
      const issue = (path: "quote" | "quantity", message: string) => ctx.addIssue({ code: "custom", path: [path], message });
      if (!WHOLE.test(values.quantity)) issue("quantity", "Enter a whole number of units.");
      else {
        const units = BigInt(values.quantity);
        if (auction.format === "english") {
          if (units !== BigInt(auction.offering)) issue("quantity", `Bid for the whole offering (${auction.offering} units).`);
        } else if (units < BigInt(auction.min_bid)) issue("quantity", `At least ${auction.min_bid} units.`);
        else if (units % BigInt(auction.bid_multiple) !== 0n) issue("quantity", `A multiple of ${auction.bid_multiple} units.`);
      }
      if (!values.competitive) return;
      const quote = parseDecimal(values.quote);
      const what = isPrice ? "price" : "yield";
      if (!quote || quote.units <= 0n) return issue("quote", `Enter a ${what}.`);
      if (isPrice) {
        const tick = parseDecimal(auction.bond.tick_size);
        if (tick && !isMultipleOf(quote, tick)) return issue("quote", `Prices move in steps of ${auction.bond.tick_size}.`);
      } else if (quote.scale > 4) return issue("quote", "At most 4 decimals.");
      const minimum = english.minimumBid ?? low;
      const lowest = minimum ? parseDecimal(minimum) : null;
      const highest = high ? parseDecimal(high) : null;
      if (lowest && compareDecimal(quote, lowest) < 0) issue("quote", `At least ${minimum}.`);
      else if (highest && compareDecimal(quote, highest) > 0) issue("quote", `At most ${high}.`);
    });
}

/** The API body of a bid from the form's (valid) values. */
export function bidRequest(auction: Pick<Auction, "basis">, values: BidValues): components["schemas"]["BidCreate"] {
  const quantity = Number(values.quantity);
  if (!values.competitive) return { quantity };
  return auction.basis === "price" ? { quantity, price: values.quote.trim() } : { quantity, yield_percent: values.quote.trim() };
}

/** A bid's quote as the auction's basis shows it. */
export function bidQuote(bid: Pick<Bid, "price" | "yield_percent" | "competitive">): string | null {
  if (!bid.competitive) return null;
  return bid.price ?? (bid.yield_percent === null ? null : `${bid.yield_percent}%`);
}
