/**
 * RFQs (requests for quote): API types, query keys and the pure rules the screens share —
 * the request and quote checks (mirroring the server's), which quote is best, and which of two
 * copies of an RFQ is the newer (the REST answers and the `rfq` channel race each other).
 */
import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import type { Tone } from "../../components/StatusBadge";
import { compareDecimal, isMultipleOf, parseDecimal, type Decimal } from "../../lib/decimal";
import { nextCursor } from "../../lib/paging";

type Schemas = components["schemas"];
export type Rfq = Schemas["RfqOut"];
export type Quote = Schemas["QuoteOut"];
export type RfqStatus = Schemas["RfqStatus"];
export type QuoteStatus = Schemas["QuoteStatus"];
export type Outcome = Schemas["Outcome"];
export type RfqRole = Schemas["RfqRole"];
export type Side = Schemas["Side"];
export type Dealer = Schemas["DealerOut"];
export type RfqCreate = Schemas["RfqCreate"];
export type QuoteCreate = Schemas["QuoteCreate"];

// -- queries ------------------------------------------------------------------------------------

export const RFQS_KEY = ["rfqs"] as const;
/** One RFQ as I see it. */
export const rfqKey = (id: string) => [...RFQS_KEY, "one", id] as const;
/** My RFQs still open or in last look, as requester and as dealer (what the `rfq` channel starts with). */
export const LIVE_RFQS_KEY = [...RFQS_KEY, "live"] as const;
/** Paged lists of my RFQs; the key's last element is the list's `RfqListFilter`. */
export const RFQ_LISTS_KEY = [...RFQS_KEY, "list"] as const;

/** Which of my RFQs a paged list holds. */
export interface RfqListFilter {
  role: Exclude<RfqRole, "observer">;
}

export const rfqListKey = (filter: RfqListFilter) => [...RFQ_LISTS_KEY, filter] as const;

const LIST_PAGE = 50;
const LIVE_LIMIT = 200;

/** One RFQ (kept current by the `rfq` channel); a fetch never replaces a newer copy the channel brought. */
export function rfqQuery(id: string) {
  return queryOptions({
    queryKey: rfqKey(id),
    queryFn: async ({ client }) => {
      const fetched = await unwrap(api.GET("/api/v1/rfqs/{rfq_id}", { params: { path: { rfq_id: id } } }));
      return newerRfq(client.getQueryData<Rfq>(rfqKey(id)), fetched);
    },
  });
}

/** My live RFQs (open or in last look), newest first: the `rfq` channel's first state, read over REST too. */
export const liveRfqsQuery = queryOptions({
  queryKey: LIVE_RFQS_KEY,
  queryFn: async ({ client }) => {
    const [open, held] = await Promise.all(
      (["open", "last_look"] as const).map((status) =>
        unwrap(api.GET("/api/v1/rfqs", { params: { query: { status, limit: LIVE_LIMIT } } })),
      ),
    );
    return mergeLiveSnapshot(client.getQueryData<Rfq[]>(LIVE_RFQS_KEY), [...open!.items, ...held!.items]).list;
  },
});

/** My RFQs in one role, newest first, page by page. */
export function rfqListQuery(filter: RfqListFilter) {
  return infiniteQueryOptions({
    queryKey: rfqListKey(filter),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/rfqs", {
          params: { query: { role: filter.role, limit: LIST_PAGE, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: nextCursor,
  });
}

export const DEALERS = "dealers";

/** The dealers I may ask, with how they have answered. */
export const dealersQuery = queryOptions({
  queryKey: [...RFQS_KEY, DEALERS],
  queryFn: () => unwrap(api.GET("/api/v1/rfqs/dealers")),
  staleTime: 30_000,
});

// -- statuses -----------------------------------------------------------------------------------

/** Statuses with something still to happen. */
const LIVE_STATUSES: ReadonlySet<RfqStatus> = new Set<RfqStatus>(["open", "last_look"]);

/** Whether an RFQ is still open or in last look. */
export const isLive = (rfq: Pick<Rfq, "status">) => LIVE_STATUSES.has(rfq.status);

export const STATUS_TONES: Record<RfqStatus, Tone> = {
  open: "good",
  last_look: "warn",
  done: "info",
  expired: "neutral",
  cancelled: "bad",
};

export const QUOTE_TONES: Record<QuoteStatus, Tone> = {
  live: "good",
  held: "warn",
  filled: "info",
  rejected: "bad",
  replaced: "neutral",
  withdrawn: "neutral",
  expired: "neutral",
  closed: "neutral",
};

export const OUTCOME_TONES: Record<Outcome, Tone> = {
  done: "good",
  covered: "info",
  tied: "info",
  done_away: "neutral",
  expired: "neutral",
  cancelled: "neutral",
};

/** What a dealer's outcome means, for a tooltip. */
export const OUTCOME_HINTS: Record<Outcome, string> = {
  done: "Traded on your quote.",
  tied: "Your price equalled the traded one, but another dealer's quote was taken.",
  covered: "Your price was the next best after the traded one.",
  done_away: "Traded with another dealer.",
  expired: "Nothing traded before the request expired.",
  cancelled: "The client cancelled the request.",
};

/** The dealer's side of a trade on an RFQ: a requester buying means the dealer sells. */
export function dealerSide(side: Side): Side {
  return side === "buy" ? "sell" : "buy";
}

// -- quotes -------------------------------------------------------------------------------------

const NO_PRICE: Decimal = { units: 0n, scale: 0 };
const priceOf = (quote: Pick<Quote, "price">) => parseDecimal(quote.price) ?? NO_PRICE;

/** Whether price `a` is better than `b` for a requester on `side` (a buyer pays less, a seller gets more). */
export function isBetterPrice(side: Side, a: string, b: string): boolean {
  const order = compareDecimal(parseDecimal(a) ?? NO_PRICE, parseDecimal(b) ?? NO_PRICE);
  return side === "buy" ? order < 0 : order > 0;
}

/** A quote the requester may take now: live, firm and still valid. */
export function canAccept(quote: Pick<Quote, "status" | "firm" | "valid_until">, now: number): boolean {
  return quote.status === "live" && quote.firm && Date.parse(quote.valid_until) > now;
}

/** The best quote the requester may take now (on a tie, the earlier one), or null. */
export function bestQuote(rfq: Pick<Rfq, "side" | "quotes">, now: number): Quote | null {
  let best: Quote | null = null;
  for (const quote of rfq.quotes) {
    if (!canAccept(quote, now)) continue;
    if (!best || isBetterPrice(rfq.side, quote.price, best.price)) best = quote;
    else if (compareDecimal(priceOf(quote), priceOf(best)) === 0 && quote.created_at < best.created_at) best = quote;
  }
  return best;
}

const ACTIVE_QUOTES: ReadonlySet<QuoteStatus> = new Set<QuoteStatus>(["live", "held"]);

/** Quotes as the requester reads them: the standing ones (live or held) best price first, then the rest newest first. */
export function sortQuotes(quotes: readonly Quote[], side: Side): Quote[] {
  const rank = (quote: Quote) => (ACTIVE_QUOTES.has(quote.status) ? 0 : 1);
  return [...quotes].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) return byRank;
    if (rank(a) === 0) {
      const byPrice = compareDecimal(priceOf(a), priceOf(b)) * (side === "buy" ? 1 : -1);
      if (byPrice !== 0) return byPrice;
      return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0;
    }
    return a.created_at > b.created_at ? -1 : a.created_at < b.created_at ? 1 : 0;
  });
}

/** A dealer's own quote that matters now: the standing one (live or held), else the latest. */
export function myQuote(rfq: Pick<Rfq, "quotes">): Quote | null {
  let latest: Quote | null = null;
  for (const quote of rfq.quotes) {
    if (ACTIVE_QUOTES.has(quote.status)) return quote;
    if (!latest || quote.created_at >= latest.created_at) latest = quote;
  }
  return latest;
}

/** Why a dealer rejected a quote on last look, when it says more than the server's default ("rejected"). */
export function rejectionReason(quote: Pick<Quote, "decision" | "decision_reason">): string | null {
  if (quote.decision !== "reject" || !quote.decision_reason || quote.decision_reason === "rejected") return null;
  return quote.decision_reason;
}

/** The quote held for a last look, if any. */
export function heldQuote(rfq: Pick<Rfq, "quotes">): Quote | null {
  return rfq.quotes.find((quote) => quote.status === "held") ?? null;
}

/** How long an RFQ that ended stays among the blotter's cards (then it is only in the recent list). */
export const ENDED_CARD_MS = 60_000;

/**
 * The blotter's cards, from my live RFQs: those asked of me that are live — one held for my
 * last look first, then the soonest to expire — then those that ended in the last minute, the
 * latest first (so the dealer sees how they ended).
 */
export function blotterCards(rfqs: readonly Rfq[], now: number, keepEndedMs = ENDED_CARD_MS): Rfq[] {
  const endedAt = (rfq: Rfq) => (rfq.ended_at ? Date.parse(rfq.ended_at) : Number.NEGATIVE_INFINITY);
  const rank = (rfq: Rfq) => (rfq.status === "last_look" && rfq.hold_until ? 0 : isLive(rfq) ? 1 : 2);
  return rfqs
    .filter((rfq) => rfq.role === "dealer" && (isLive(rfq) || now - endedAt(rfq) < keepEndedMs))
    .sort((a, b) => {
      const byRank = rank(a) - rank(b);
      if (byRank !== 0) return byRank;
      return rank(a) === 2 ? endedAt(b) - endedAt(a) : Date.parse(a.expires_at) - Date.parse(b.expires_at);
    });
}

// -- which copy is newer -------------------------------------------------------------------------

/**
 * The copy to keep of an RFQ held and one just received: the one with the higher `seq` (the
 * server counts every change of an RFQ), the received one when they are equal.
 */
export function newerRfq(held: Rfq | undefined, incoming: Rfq): Rfq {
  if (!held || held.id !== incoming.id) return incoming;
  return incoming.seq < held.seq ? held : incoming;
}

/** Newest first (ids are time-ordered UUIDs, like the API's order). */
function newestFirst(a: Rfq, b: Rfq): number {
  const byTime = Date.parse(b.created_at) - Date.parse(a.created_at);
  if (byTime) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The live list with `rfq` in it (replacing an older copy); an RFQ not held is added only while live. */
export function upsertLive(list: readonly Rfq[], rfq: Rfq): Rfq[] {
  const index = list.findIndex((held) => held.id === rfq.id);
  if (index < 0) return isLive(rfq) ? [...list, rfq].sort(newestFirst) : [...list];
  const next = [...list];
  next[index] = newerRfq(list[index], rfq);
  return next;
}

/**
 * A fresh list of my live RFQs (the channel's first state) against what was held: each keeps
 * its newer copy; `gone` are the RFQs held as live that the list no longer has (they ended).
 */
export function mergeLiveSnapshot(held: readonly Rfq[] | undefined, snapshot: readonly Rfq[]): { list: Rfq[]; gone: string[] } {
  const heldById = new Map((held ?? []).map((rfq) => [rfq.id, rfq]));
  const fresh = new Set(snapshot.map((rfq) => rfq.id));
  const list = snapshot.map((rfq) => newerRfq(heldById.get(rfq.id), rfq)).sort(newestFirst);
  const gone = (held ?? []).filter((rfq) => isLive(rfq) && !fresh.has(rfq.id)).map((rfq) => rfq.id);
  return { list, gone };
}

/** A page of RFQs as the infinite list queries hold them. */
export interface RfqPages {
  pages: { items: Rfq[]; next_cursor: string | null }[];
  pageParams: unknown[];
}

/** Whether an RFQ belongs in a list with this filter. */
export function inList(filter: RfqListFilter, rfq: Pick<Rfq, "role">): boolean {
  return rfq.role === filter.role;
}

/**
 * A paged list with `rfq` in it: an older copy replaced where it is, or a new RFQ added to the
 * first page in date order (it is the newest, or nearly). Undefined (no change) when the list
 * is not loaded or holds this copy already.
 */
export function upsertPages<T extends RfqPages>(data: T | undefined, rfq: Rfq, belongs: boolean): T | undefined {
  if (!data) return undefined;
  for (let p = 0; p < data.pages.length; p += 1) {
    const page = data.pages[p]!;
    const index = page.items.findIndex((held) => held.id === rfq.id);
    if (index < 0) continue;
    const held = page.items[index]!;
    const kept = belongs ? newerRfq(held, rfq) : null;
    if (kept === held) return undefined;
    const items = kept ? page.items.map((item, i) => (i === index ? kept : item)) : page.items.filter((_, i) => i !== index);
    return { ...data, pages: data.pages.map((other, i) => (i === p ? { ...page, items } : other)) };
  }
  const first = data.pages[0];
  if (!belongs || !first) return undefined;
  return { ...data, pages: [{ ...first, items: [...first.items, rfq].sort(newestFirst) }, ...data.pages.slice(1)] };
}

// -- the request form ---------------------------------------------------------------------------

/** How long dealers may answer: the choices offered (the API takes 5 s to an hour). */
export const EXPIRY_CHOICES: readonly { seconds: number; label: string }[] = [
  { seconds: 30, label: "30 seconds" },
  { seconds: 60, label: "1 minute" },
  { seconds: 120, label: "2 minutes" },
  { seconds: 300, label: "5 minutes" },
  { seconds: 900, label: "15 minutes" },
  { seconds: 1800, label: "30 minutes" },
  { seconds: 3600, label: "1 hour" },
];

/** The request form's values, as typed. */
export interface RequestValues {
  instrument_id: string;
  side: Side;
  quantity: string;
  /** Ask every dealer (else only `dealer_ids`). */
  everyone: boolean;
  dealer_ids: string[];
  disclosed: boolean;
  expires_in_seconds: string;
}

/** A bond's lot rules. */
export type LotRules = Pick<Schemas["InstrumentOut"], "min_lot" | "lot_increment">;

const WHOLE = /^\d+$/;
const MAX_UNITS = 1_000_000_000_000n;
const MAX_DEALERS = 50;

/** What is wrong with a quantity for a bond's lots (the server's `check_lot`), or null. */
export function quantityError(text: string, rules: LotRules | undefined): string | null {
  const trimmed = text.trim();
  if (trimmed === "") return "Enter a quantity.";
  if (!WHOLE.test(trimmed)) return "Enter a whole number of units.";
  const units = BigInt(trimmed);
  if (units <= 0n) return "Must be more than 0.";
  if (units > MAX_UNITS) return "At most 1,000,000,000,000 units.";
  if (!rules) return null;
  const min = BigInt(rules.min_lot);
  const step = BigInt(rules.lot_increment);
  if (units < min || (step > 0n && (units - min) % step !== 0n)) return `At least ${rules.min_lot} units, in steps of ${rules.lot_increment}.`;
  return null;
}

/** The request form's schema: a bond, whole lots of it, and dealers (or all of them). */
export function requestSchema(rulesOf: (instrumentId: string) => LotRules | undefined) {
  return z
    .object({
      instrument_id: z.string(),
      side: z.enum(["buy", "sell"]),
      quantity: z.string(),
      everyone: z.boolean(),
      dealer_ids: z.array(z.string()),
      disclosed: z.boolean(),
      expires_in_seconds: z.string(),
    })
    .superRefine((values, ctx) => {
      const issue = (path: keyof RequestValues, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
      if (!values.instrument_id) issue("instrument_id", "Choose a bond.");
      const lot = quantityError(values.quantity, values.instrument_id ? rulesOf(values.instrument_id) : undefined);
      if (lot) issue("quantity", lot);
      if (!values.everyone && values.dealer_ids.length === 0) issue("dealer_ids", "Choose at least one dealer, or ask all dealers.");
      if (!values.everyone && values.dealer_ids.length > MAX_DEALERS) issue("dealer_ids", `At most ${MAX_DEALERS} dealers.`);
      const seconds = Number(values.expires_in_seconds);
      if (!WHOLE.test(values.expires_in_seconds) || seconds < 5 || seconds > 3600) issue("expires_in_seconds", "Between 5 seconds and an hour.");
    });
}

/** The API body of a request from the form's (valid) values. */
export function rfqRequest(values: RequestValues): RfqCreate {
  return {
    instrument_id: values.instrument_id,
    side: values.side,
    quantity: Number(values.quantity.trim()),
    ...(values.everyone ? {} : { dealer_ids: values.dealer_ids }),
    disclosed: values.disclosed,
    expires_in_seconds: Number(values.expires_in_seconds),
  };
}

// -- prices: quotes and counters -----------------------------------------------------------------

const PRICE_MAX: Decimal = { units: 10_000n, scale: 0 };
const MAX_PRICE_DECIMALS = 6;

/** What is wrong with a clean price for a bond quoted in steps of `tickSize` (the server's checks), or null. */
export function priceError(text: string, tickSize: string | undefined): string | null {
  const trimmed = text.trim();
  if (trimmed === "") return "Enter a price.";
  const price = parseDecimal(trimmed);
  if (!price || trimmed.startsWith("-") || trimmed.startsWith("+")) return "Enter a price such as 100.25.";
  if (price.units <= 0n || compareDecimal(price, PRICE_MAX) >= 0) return "Between 0 and 10,000 (per 100 of face value).";
  const decimals = (trimmed.split(".")[1] ?? "").replace(/0+$/, "").length;
  if (decimals > MAX_PRICE_DECIMALS) return `At most ${MAX_PRICE_DECIMALS} decimals.`;
  const tick = tickSize ? parseDecimal(tickSize) : null;
  if (tick && tick.units > 0n && !isMultipleOf(price, tick)) return `Prices move in steps of ${tickSize}.`;
  return null;
}

/** A dealer's quote form, as typed. */
export interface QuoteValues {
  price: string;
  firm: boolean;
  valid_for_seconds: string;
  /** Empty: no last look. */
  last_look_ms: string;
}

export const DEFAULT_VALID_FOR_SECONDS = "30";

/** The quote form's schema for a bond quoted in steps of `tickSize`. */
export function quoteSchema(tickSize: string | undefined) {
  return z
    .object({ price: z.string(), firm: z.boolean(), valid_for_seconds: z.string(), last_look_ms: z.string() })
    .superRefine((values, ctx) => {
      const issue = (path: keyof QuoteValues, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
      const price = priceError(values.price, tickSize);
      if (price) issue("price", price);
      const valid = values.valid_for_seconds.trim();
      if (!WHOLE.test(valid) || Number(valid) < 1 || Number(valid) > 3600) issue("valid_for_seconds", "Whole seconds, 1 to 3600.");
      const hold = values.last_look_ms.trim();
      if (hold !== "" && (!WHOLE.test(hold) || Number(hold) < 1 || Number(hold) > 60_000)) {
        issue("last_look_ms", "Whole milliseconds, 1 to 60000; or leave it empty for none.");
      }
    });
}

/** The API body of a quote from the form's (valid) values. */
export function quoteRequest(values: QuoteValues): QuoteCreate {
  const hold = values.last_look_ms.trim();
  return {
    price: values.price.trim(),
    firm: values.firm,
    valid_for_seconds: Number(values.valid_for_seconds.trim()),
    ...(hold ? { last_look_ms: Number(hold) } : {}),
  };
}

/** The counter form's schema. */
export function counterSchema(tickSize: string | undefined) {
  return z.object({ price: z.string() }).superRefine((values, ctx) => {
    const price = priceError(values.price, tickSize);
    if (price) ctx.addIssue({ code: "custom", path: ["price"], message: price });
  });
}

// -- display ------------------------------------------------------------------------------------

/** A percentage the API sends as a decimal string ("66.67") as "66.67%" ("85%" for "85.00"; "—" when none). */
export function formatRate(rate: string | null | undefined): string {
  if (rate === null || rate === undefined) return "—";
  const trimmed = rate.includes(".") ? rate.replace(/\.?0+$/, "") : rate;
  return `${trimmed}%`;
}
