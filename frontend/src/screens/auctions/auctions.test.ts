import { describe, expect, it } from "vitest";
import { bidRequest, bidSchema, nextMilestone, offersNonCompetitive, stepsFor } from "./auctions";

const rules = {
  basis: "price" as const,
  format: "uniform" as const,
  min_bid: 100,
  bid_multiple: 100,
  offering: 10_000,
  min_price: "95",
  max_price: "105",
  min_yield: null,
  max_yield: null,
  bond: { tick_size: "0.0025" },
};

const errors = (schema: ReturnType<typeof bidSchema>, values: { competitive: boolean; quote: string; quantity: string }) => {
  const result = schema.safeParse(values);
  return result.success ? {} : Object.fromEntries(result.error.issues.map((issue) => [String(issue.path[0]), issue.message]));
};

describe("auctions", () => {
  it("names the next step by status", () => {
    const times = { announce_at: "a", opens_at: "o", closes_at: "c" };
    expect(nextMilestone({ ...times, status: "announced" })).toEqual({ label: "Opens", at: "o" });
    expect(nextMilestone({ ...times, status: "bidding" })).toEqual({ label: "Closes", at: "c" });
    expect(nextMilestone({ ...times, status: "cleared" })).toBeNull();
  });

  it("offers the steps valid from a status", () => {
    expect(stepsFor("bidding")).toEqual(["close", "cancel"]);
    expect(stepsFor("settled")).toEqual([]);
  });

  it("checks units and quotes exactly", () => {
    const schema = bidSchema(rules);
    expect(errors(schema, { competitive: true, quote: "100.0025", quantity: "200" })).toEqual({});
    expect(errors(schema, { competitive: true, quote: "100.001", quantity: "150" })).toEqual({
      quote: "Prices move in steps of 0.0025.",
      quantity: "A multiple of 100 units.",
    });
    expect(errors(schema, { competitive: true, quote: "94.9975", quantity: "50" })).toEqual({
      quote: "At least 95.",
      quantity: "At least 100 units.",
    });
    expect(errors(schema, { competitive: true, quote: "105.0025", quantity: "1e3" }).quote).toBe("At most 105.");
    expect(errors(schema, { competitive: false, quote: "", quantity: "100" })).toEqual({});
  });

  it("checks an English bid against the minimum next bid and the whole offering", () => {
    const schema = bidSchema({ ...rules, format: "english" }, { minimumBid: "101.5" });
    expect(errors(schema, { competitive: true, quote: "101.25", quantity: "100" })).toEqual({
      quote: "At least 101.5.",
      quantity: "Bid for the whole offering (10000 units).",
    });
  });

  it("builds the request per basis", () => {
    expect(bidRequest({ basis: "price" }, { competitive: true, quote: " 99.5 ", quantity: "300" })).toEqual({ quantity: 300, price: "99.5" });
    expect(bidRequest({ basis: "yield" }, { competitive: true, quote: "7.1", quantity: "300" })).toEqual({ quantity: 300, yield_percent: "7.1" });
    expect(bidRequest({ basis: "yield" }, { competitive: false, quote: "7.1", quantity: "300" })).toEqual({ quantity: 300 });
  });

  it("knows when non-competitive bids are offered", () => {
    expect(offersNonCompetitive({ format: "uniform", non_competitive_share: "0.05" })).toBe(true);
    expect(offersNonCompetitive({ format: "uniform", non_competitive_share: "0" })).toBe(false);
    expect(offersNonCompetitive({ format: "english", non_competitive_share: "0.05" })).toBe(false);
  });
});
