import { describe, expect, it } from "vitest";
import { at, quote, rfq, T0 } from "./fixtures";
import {
  bestQuote,
  blotterCards,
  canAccept,
  dealerSide,
  formatRate,
  mergeLiveSnapshot,
  myQuote,
  newerRfq,
  priceError,
  quantityError,
  quoteRequest,
  quoteSchema,
  rejectionReason,
  requestSchema,
  rfqRequest,
  sortQuotes,
  upsertLive,
  upsertPages,
  type RequestValues,
} from "./rfq";

const errorsOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.success ? {} : Object.fromEntries(result.error!.issues.map((issue) => [String(issue.path[0]), issue.message]));

const request: RequestValues = {
  instrument_id: "i1",
  side: "buy",
  quantity: "500",
  everyone: true,
  dealer_ids: [],
  disclosed: false,
  expires_in_seconds: "120",
};
const lots = { min_lot: 100, lot_increment: 100 };

describe("the request", () => {
  it("checks quantities against the bond's lots as the server does", () => {
    expect(quantityError("500", lots)).toBeNull();
    expect(quantityError("100", lots)).toBeNull();
    expect(quantityError("50", lots)).toBe("At least 100 units, in steps of 100.");
    expect(quantityError("150", lots)).toBe("At least 100 units, in steps of 100.");
    expect(quantityError("3", { min_lot: 1, lot_increment: 1 })).toBeNull();
    // Steps count from the minimum lot: 150 + 25k.
    expect(quantityError("175", { min_lot: 150, lot_increment: 25 })).toBeNull();
    expect(quantityError("160", { min_lot: 150, lot_increment: 25 })).not.toBeNull();
    expect(quantityError("", lots)).toBe("Enter a quantity.");
    expect(quantityError("1.5", lots)).toBe("Enter a whole number of units.");
    expect(quantityError("1e3", lots)).toBe("Enter a whole number of units.");
    expect(quantityError("0", lots)).toBe("Must be more than 0.");
    expect(quantityError("1000000000001", undefined)).toBe("At most 1,000,000,000,000 units.");
  });

  it("needs a bond, whole lots and dealers unless all are asked", () => {
    const schema = requestSchema((id) => (id === "i1" ? lots : undefined));
    expect(errorsOf(schema.safeParse(request))).toEqual({});
    expect(errorsOf(schema.safeParse({ ...request, instrument_id: "", quantity: "250", everyone: false }))).toEqual({
      instrument_id: "Choose a bond.",
      dealer_ids: "Choose at least one dealer, or ask all dealers.",
    });
    expect(errorsOf(schema.safeParse({ ...request, quantity: "250" }))).toEqual({ quantity: "At least 100 units, in steps of 100." });
    expect(errorsOf(schema.safeParse({ ...request, expires_in_seconds: "4" })).expires_in_seconds).toBeDefined();
  });

  it("asks every dealer, or only those chosen", () => {
    expect(rfqRequest({ ...request, dealer_ids: ["d1"] })).toEqual({
      instrument_id: "i1",
      side: "buy",
      quantity: 500,
      disclosed: false,
      expires_in_seconds: 120,
    });
    expect(rfqRequest({ ...request, everyone: false, dealer_ids: ["d1", "d2"], disclosed: true, quantity: " 700 " })).toMatchObject({
      quantity: 700,
      dealer_ids: ["d1", "d2"],
      disclosed: true,
    });
  });
});

describe("prices", () => {
  it("are positive, under 10,000, on the tick, exactly", () => {
    expect(priceError("100.2510", "0.0025")).toBe("Prices move in steps of 0.0025.");
    expect(priceError("100.2500", "0.0025")).toBeNull();
    expect(priceError("100.0075", "0.0025")).toBeNull();
    expect(priceError("0.1 ", "0.01")).toBeNull();
    expect(priceError("", "0.01")).toBe("Enter a price.");
    expect(priceError("abc", "0.01")).toBe("Enter a price such as 100.25.");
    expect(priceError("-1", "0.01")).toBe("Enter a price such as 100.25.");
    expect(priceError("0", "0.01")).toBe("Between 0 and 10,000 (per 100 of face value).");
    expect(priceError("10000", "0.01")).toBe("Between 0 and 10,000 (per 100 of face value).");
    expect(priceError("1.0000001", undefined)).toBe("At most 6 decimals.");
    expect(priceError("1.500000000", "0.01")).toBeNull();
  });

  it("make a quote: firm by default, a last look only when given", () => {
    const values = { price: " 99.5 ", firm: true, valid_for_seconds: "30", last_look_ms: "" };
    expect(quoteRequest(values)).toEqual({ price: "99.5", firm: true, valid_for_seconds: 30 });
    expect(quoteRequest({ ...values, firm: false, last_look_ms: "2000" })).toEqual({
      price: "99.5",
      firm: false,
      valid_for_seconds: 30,
      last_look_ms: 2000,
    });
    const schema = quoteSchema("0.0025");
    expect(errorsOf(schema.safeParse(values))).toEqual({});
    expect(errorsOf(schema.safeParse({ ...values, price: "99.501", valid_for_seconds: "0", last_look_ms: "1.5" }))).toEqual({
      price: "Prices move in steps of 0.0025.",
      valid_for_seconds: "Whole seconds, 1 to 3600.",
      last_look_ms: "Whole milliseconds, 1 to 60000; or leave it empty for none.",
    });
  });
});

describe("quotes", () => {
  const now = T0 + 10_000;
  const cheap = quote({ id: "cheap", price: "99.75", created_at: at(3) });
  const dear = quote({ id: "dear", price: "100.5", created_at: at(2) });
  const cheaperIndicative = quote({ id: "indicative", price: "99.5", firm: false });
  const lapsed = quote({ id: "lapsed", price: "99", valid_until: at(5) });
  const withdrawn = quote({ id: "withdrawn", price: "98", status: "withdrawn", created_at: at(4) });

  it("may be taken while live, firm and valid", () => {
    expect(canAccept(cheap, now)).toBe(true);
    expect(canAccept(cheaperIndicative, now)).toBe(false);
    expect(canAccept(lapsed, now)).toBe(false);
    expect(canAccept(withdrawn, now)).toBe(false);
  });

  it("are best at the lowest offer for a buyer and the highest bid for a seller", () => {
    const quotes = [dear, cheap, cheaperIndicative, lapsed, withdrawn];
    expect(bestQuote(rfq({ side: "buy", quotes }), now)?.id).toBe("cheap");
    expect(bestQuote(rfq({ side: "sell", quotes }), now)?.id).toBe("dear");
    expect(bestQuote(rfq({ quotes: [withdrawn] }), now)).toBeNull();
    // On a tie, the earlier quote.
    const same = quote({ id: "same", price: "99.7500", created_at: at(1) });
    expect(bestQuote(rfq({ quotes: [cheap, same] }), now)?.id).toBe("same");
  });

  it("read standing ones best first, then the rest newest first", () => {
    const old = quote({ id: "old", status: "expired", created_at: at(0) });
    const held = quote({ id: "held", status: "held", price: "100" });
    const order = (side: "buy" | "sell") => sortQuotes([old, dear, withdrawn, cheap, held], side).map((q) => q.id);
    expect(order("buy")).toEqual(["cheap", "held", "dear", "withdrawn", "old"]);
    expect(order("sell")).toEqual(["dear", "held", "cheap", "withdrawn", "old"]);
  });

  it("a dealer's own: the standing one, else the latest", () => {
    expect(myQuote(rfq({ quotes: [quote({ id: "a", status: "replaced" }), quote({ id: "b", status: "live" })] }))?.id).toBe("b");
    expect(
      myQuote(rfq({ quotes: [quote({ id: "a", status: "replaced", created_at: at(1) }), quote({ id: "b", status: "withdrawn", created_at: at(2) })] }))?.id,
    ).toBe("b");
    expect(myQuote(rfq())).toBeNull();
  });

  it("say why they were rejected, when the dealer said", () => {
    expect(rejectionReason(quote({ decision: "reject", decision_reason: "rejected" }))).toBeNull();
    expect(rejectionReason(quote({ decision: "reject", decision_reason: "last look timed out" }))).toBe("last look timed out");
    expect(rejectionReason(quote({ decision: "fill", decision_reason: null }))).toBeNull();
  });

  it("the dealer takes the other side", () => {
    expect(dealerSide("buy")).toBe("sell");
    expect(dealerSide("sell")).toBe("buy");
  });
});

describe("copies of an RFQ", () => {
  const open = rfq({ seq: 2, quotes: [quote({ created_at: at(5) })] });
  const requoted = rfq({ seq: 3, quotes: [quote({ id: "q2", created_at: at(8) })] });
  const done = rfq({ seq: 4, status: "done", ended_at: at(9), price: "100.25" });

  it("keep the one with the higher seq: an older one never replaces it", () => {
    expect(newerRfq(undefined, open)).toBe(open);
    expect(newerRfq(requoted, open)).toBe(requoted);
    expect(newerRfq(open, requoted)).toBe(requoted);
    expect(newerRfq(done, open)).toBe(done);
    expect(newerRfq(open, done)).toBe(done);
    // The same seq (the same state read twice): the one received last.
    const again = rfq({ seq: 2, quotes: [quote({ created_at: at(5) })] });
    expect(newerRfq(open, again)).toBe(again);
  });

  it("go into a paged list: replaced in place, removed when they no longer belong, added in date order", () => {
    const a = rfq({ id: "a", created_at: at(1) });
    const b = rfq({ id: "b", created_at: at(3) });
    const c = rfq({ id: "c", created_at: at(2) });
    const data = { pages: [{ items: [b, a], next_cursor: "x" }, { items: [rfq({ id: "z", created_at: at(-9) })], next_cursor: null }], pageParams: [null, "x"] };
    expect(upsertPages(undefined, a, true)).toBeUndefined();
    expect(upsertPages(data, a, true)).toBeUndefined(); // the same copy
    const aDone = rfq({ id: "a", created_at: at(1), status: "done", ended_at: at(4) });
    expect(upsertPages(data, aDone, true)?.pages[0]?.items).toEqual([b, aDone]);
    expect(upsertPages(data, a, false)?.pages[0]?.items).toEqual([b]);
    expect(upsertPages(data, c, true)?.pages[0]?.items.map((item) => item.id)).toEqual(["b", "c", "a"]);
    expect(upsertPages(data, c, false)).toBeUndefined();
    const z = rfq({ id: "z", created_at: at(-9), status: "cancelled", ended_at: at(5) });
    const moved = upsertPages(data, z, true);
    expect(moved?.pages[1]?.items).toEqual([z]);
    expect(moved?.pages[0]).toBe(data.pages[0]);
  });

  it("go into the live list while live; a fresh list of live RFQs says which ended", () => {
    const a = rfq({ id: "a", created_at: at(1) });
    const b = rfq({ id: "b", created_at: at(3) });
    expect(upsertLive([a], b).map((item) => item.id)).toEqual(["b", "a"]);
    expect(upsertLive([a], rfq({ id: "x", status: "expired" })).map((item) => item.id)).toEqual(["a"]);
    const aDone = rfq({ id: "a", created_at: at(1), status: "done", ended_at: at(4) });
    expect(upsertLive([b, a], aDone)).toEqual([b, aDone]);

    const newerB = rfq({ id: "b", seq: 2, created_at: at(3), quotes: [quote({ created_at: at(9) })] });
    const { list, gone } = mergeLiveSnapshot([newerB, a], [rfq({ id: "c", created_at: at(5) }), b]);
    expect(list.map((item) => item.id)).toEqual(["c", "b"]);
    expect(list[1]).toBe(newerB);
    expect(gone).toEqual(["a"]);
  });
});

describe("the blotter", () => {
  it("shows a held request first, then the soonest to expire, then what just ended", () => {
    const now = T0 + 60_000;
    const cards = blotterCards(
      [
        rfq({ id: "mine-late", role: "dealer", expires_at: at(300) }),
        rfq({ id: "mine-soon", role: "dealer", expires_at: at(90) }),
        rfq({ id: "held", role: "dealer", status: "last_look", hold_until: at(61) }),
        rfq({ id: "asked-by-me", role: "requester" }),
        rfq({ id: "just-done", role: "dealer", status: "done", ended_at: at(50) }),
        rfq({ id: "long-gone", role: "dealer", status: "expired", ended_at: at(-10) }),
      ],
      now,
    );
    expect(cards.map((card) => card.id)).toEqual(["held", "mine-soon", "mine-late", "just-done"]);
  });

  it("writes rates as percentages", () => {
    expect(formatRate("85.00")).toBe("85%");
    expect(formatRate("66.70")).toBe("66.7%");
    expect(formatRate("100")).toBe("100%");
    expect(formatRate(null)).toBe("—");
  });
});
