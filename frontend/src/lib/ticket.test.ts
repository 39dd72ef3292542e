import { describe, expect, it } from "vitest";
import type { components } from "../api/client";
import { decimalToString, parseDecimal, type Decimal } from "./decimal";
import {
  cleanNotional,
  emptyTicket,
  estimateCash,
  fieldOfProblem,
  likelyTaker,
  numberToDecimal,
  orderKind,
  orderRequest,
  priceBand,
  priceForYield,
  ticketRules,
  timesInForce,
  toTicks,
  validateTicket,
  type TicketValues,
} from "./ticket";

const dec = (text: string): Decimal => {
  const value = parseDecimal(text);
  if (!value) throw new Error(text);
  return value;
};

const instrument = {
  id: "01a20028-7f6c-71c5-8449-ab6e755773bb",
  currency: "INR",
  face_value: 10_000,
  tick_size: "0.0025",
  min_lot: 100,
  lot_increment: 100,
  price_band_percent: "5",
  max_order_notional: 1_000_000_000,
  maker_fee_bps: "0",
  taker_fee_bps: "2.5",
} as components["schemas"]["InstrumentOut"];

// Last trade at 100.0000 (40,000 ticks): the band is 95.0000 to 105.0000.
const rules = ticketRules(instrument, 40_000);
const ticket = (changes: Partial<TicketValues>): TicketValues => ({
  ...emptyTicket("buy"),
  price: "100.25",
  quantity: "500",
  ...changes,
});
const errorsOf = (changes: Partial<TicketValues>, now = new Date("2026-11-20T10:00:00Z")) =>
  validateTicket(ticket(changes), rules, { now });

describe("ticketRules", () => {
  it("reads the instrument's rules and the currency's scale", () => {
    expect(rules.scale).toBe(2);
    expect(rules.minLot).toBe(100n);
    expect(decimalToString(rules.tickSize)).toBe("0.0025");
    expect(rules.referenceTicks).toBe(40_000n);
  });
});

describe("validateTicket", () => {
  it("accepts a valid limit order", () => {
    expect(errorsOf({})).toEqual({});
  });

  it("checks the quantity against the lots", () => {
    expect(errorsOf({ quantity: "" }).quantity).toBe("Enter a quantity.");
    expect(errorsOf({ quantity: "1.5" }).quantity).toBe("Enter a whole number of units.");
    expect(errorsOf({ quantity: "0" }).quantity).toBe("Must be more than 0.");
    expect(errorsOf({ quantity: "50" }).quantity).toBe("At least 100 units, in steps of 100.");
    expect(errorsOf({ quantity: "250" }).quantity).toBe("At least 100 units, in steps of 100.");
    expect(errorsOf({ quantity: "300" }).quantity).toBeUndefined();
    expect(errorsOf({ quantity: "1000000000001" }).quantity).toBe("At most 1,000,000,000,000 units.");
  });

  it("steps lots from the minimum lot", () => {
    const odd = ticketRules({ ...instrument, min_lot: 150, lot_increment: 100 }, null);
    expect(validateTicket(ticket({ quantity: "250" }), odd).quantity).toBeUndefined();
    expect(validateTicket(ticket({ quantity: "200" }), odd).quantity).toBe("At least 150 units, in steps of 100.");
  });

  it("checks the price's range, decimals and tick", () => {
    expect(errorsOf({ price: "" }).price).toBe("Enter a price.");
    expect(errorsOf({ price: "abc" }).price).toBe("Enter a number such as 100.25.");
    expect(errorsOf({ price: "0" }).price).toBe("Must be more than 0 and less than 10,000.");
    expect(errorsOf({ price: "100.0000001" }).price).toBe("At most 6 decimal places.");
    expect(errorsOf({ price: "100.001" }).price).toBe("Must be a multiple of the tick size 0.0025.");
    expect(errorsOf({ price: "100.0025000" }).price).toBeUndefined();
  });

  it("keeps the price within the band around the last trade", () => {
    expect(errorsOf({ price: "95" }).price).toBeUndefined();
    expect(errorsOf({ price: "105" }).price).toBeUndefined();
    expect(errorsOf({ price: "105.0025" }).price).toBe(
      "Must lie within 5% of the reference price 100.0000: from 95.0000 to 105.0000.",
    );
    const unbanded = ticketRules(instrument, null);
    expect(validateTicket(ticket({ price: "150" }), unbanded).price).toBeUndefined();
  });

  it("checks a yield and the price it converts to", () => {
    const yieldTicket = { priceMode: "yield" as const, price: "" };
    expect(errorsOf({ ...yieldTicket, yieldPercent: "" }).yieldPercent).toBe("Enter a yield.");
    expect(errorsOf({ ...yieldTicket, yieldPercent: "100" }).yieldPercent).toBe("Must be more than -10 and less than 100.");
    expect(errorsOf({ ...yieldTicket, yieldPercent: "7.1234567" }).yieldPercent).toBe("At most 6 decimal places.");
    expect(errorsOf({ ...yieldTicket, yieldPercent: "7.1" })).toEqual({});
    const far = validateTicket(ticket({ ...yieldTicket, yieldPercent: "1" }), rules, { impliedPrice: dec("110") });
    expect(far.yieldPercent).toMatch(/^Its price must lie within 5%/);
  });

  it("refuses an order whose clean consideration exceeds the instrument's limit", () => {
    // 1,000 units x 10,000 paise x 100.25 / 100 = 10,025,000 paise: under 1,000,000,000.
    expect(errorsOf({ quantity: "1000" }).quantity).toBeUndefined();
    expect(errorsOf({ quantity: "100000" }).quantity).toBe(
      "The clean consideration ₹1,00,25,000.00 exceeds the largest allowed, ₹1,00,00,000.00.",
    );
  });

  it("matches the time in force to the order type", () => {
    expect(errorsOf({ type: "market", price: "", timeInForce: "gtc" }).timeInForce).toBe(
      "A market order is immediate or cancel, or fill or kill.",
    );
    expect(errorsOf({ type: "market", price: "", timeInForce: "ioc" })).toEqual({});
    expect(errorsOf({ stopPrice: "99", timeInForce: "ioc" }).timeInForce).toBe(
      "A stop order must be able to rest (GTC, day or GTD).",
    );
    expect(errorsOf({ stopPrice: "99", timeInForce: "day" })).toEqual({});
  });

  it("needs a future expiry for good-till-date orders", () => {
    expect(errorsOf({ timeInForce: "gtd" }).expireAt).toBe("Enter when the order expires.");
    expect(errorsOf({ timeInForce: "gtd", expireAt: "2026-11-19T10:00" }).expireAt).toBe("Must be in the future.");
    expect(errorsOf({ timeInForce: "gtd", expireAt: "2026-12-19T10:00" }).expireAt).toBeUndefined();
  });

  it("checks stops, icebergs, minimum quantities and post-only", () => {
    expect(errorsOf({ stopPrice: "99.001" }).stopPrice).toBe("Must be a multiple of the tick size 0.0025.");
    expect(errorsOf({ stopPrice: "120" }).stopPrice).toMatch(/^Must lie within 5%/);
    expect(errorsOf({ displayQuantity: "600" }).displayQuantity).toBe("Cannot exceed the quantity.");
    expect(errorsOf({ displayQuantity: "150" }).displayQuantity).toBe("At least 100 units, in steps of 100.");
    expect(errorsOf({ displayQuantity: "200" }).displayQuantity).toBeUndefined();
    expect(errorsOf({ displayQuantity: "200", stopPrice: "99" }).displayQuantity).toBe("An iceberg is a limit order.");
    expect(errorsOf({ minQuantity: "600" }).minQuantity).toBe("Cannot exceed the quantity.");
    expect(errorsOf({ minQuantity: "100", stopPrice: "99" }).minQuantity).toBe("Stops take no minimum quantity.");
    expect(errorsOf({ allOrNone: true, stopPrice: "99" }).allOrNone).toBe("Stops cannot be all or none.");
    expect(errorsOf({ postOnly: true, timeInForce: "ioc" }).postOnly).toBe(
      "Post only is for limit orders that can rest (GTC, day or GTD).",
    );
    expect(errorsOf({ postOnly: true })).toEqual({});
  });
});

describe("order types", () => {
  it("turns a stop price into a stop or a stop-limit", () => {
    expect(orderKind({ type: "limit", stopPrice: "" })).toBe("limit");
    expect(orderKind({ type: "limit", stopPrice: "99" })).toBe("stop_limit");
    expect(orderKind({ type: "market", stopPrice: "" })).toBe("market");
    expect(orderKind({ type: "market", stopPrice: "99" })).toBe("stop");
    expect(timesInForce("market")).toEqual(["ioc", "fok"]);
    expect(timesInForce("stop")).toEqual(["gtc", "day", "gtd"]);
  });

  it("builds the order request", () => {
    expect(orderRequest(ticket({ displayQuantity: "200" }), instrument.id, "web-1")).toEqual({
      instrument_id: instrument.id,
      client_order_id: "web-1",
      side: "buy",
      order_type: "limit",
      time_in_force: "gtc",
      quantity: 500,
      price: "100.25",
      display_quantity: 200,
      all_or_none: false,
      post_only: false,
      self_trade_prevention: "cancel_newest",
    });
    const byYield = orderRequest(ticket({ priceMode: "yield", yieldPercent: "7.1", side: "sell" }), instrument.id, "x");
    expect(byYield).toMatchObject({ side: "sell", yield_percent: "7.1" });
    expect(byYield).not.toHaveProperty("price");
    const market = orderRequest(ticket({ type: "market", timeInForce: "fok" }), instrument.id, "x");
    expect(market).toMatchObject({ order_type: "market", time_in_force: "fok" });
    expect(market).not.toHaveProperty("price");
    const gtd = orderRequest(ticket({ timeInForce: "gtd", expireAt: "2026-12-19T10:00" }), instrument.id, "x");
    expect(gtd.expire_at).toBe(new Date("2026-12-19T10:00").toISOString());
  });

  it("guesses whether an order takes liquidity", () => {
    expect(likelyTaker("buy", "market", null, null)).toBe(true);
    expect(likelyTaker("buy", "limit", 100n, 100)).toBe(true);
    expect(likelyTaker("buy", "limit", 99n, 100)).toBe(false);
    expect(likelyTaker("sell", "limit", 100n, 100)).toBe(true);
    expect(likelyTaker("sell", "limit", 101n, 100)).toBe(false);
    expect(likelyTaker("sell", "limit", 101n, null)).toBe(false);
  });
});

describe("prices and yields", () => {
  it("reads JSON numbers exactly, shedding binary noise when asked", () => {
    expect(decimalToString(numberToDecimal(3.1365000000000003)!)).toBe("3.1365000000000003");
    expect(decimalToString(numberToDecimal(3.1365000000000003, 12)!)).toBe("3.13650000000");
    expect(decimalToString(numberToDecimal(1.5e-7)!)).toBe("0.00000015");
    expect(decimalToString(numberToDecimal(-2e21)!)).toBe("-2000000000000000000000");
    expect(numberToDecimal(Number.NaN)).toBeNull();
  });

  it("converts ticks both ways", () => {
    expect(toTicks(dec("100.5425"), dec("0.0025"))).toBe(40_217n);
    expect(toTicks(dec("100.001"), dec("0.0025"))).toBeNull();
  });

  it("rounds a yield's price to the tick that never gives a worse yield", () => {
    expect(decimalToString(priceForYield(100.12345, dec("0.0025"), "buy")!)).toBe("100.1225");
    expect(decimalToString(priceForYield(100.12345, dec("0.0025"), "sell")!)).toBe("100.1250");
    expect(decimalToString(priceForYield(100.125, dec("0.0025"), "sell")!)).toBe("100.1250");
    expect(priceForYield(0.001, dec("0.0025"), "buy")).toBeNull();
  });

  it("rounds the band's edges inwards", () => {
    const band = priceBand(ticketRules({ ...instrument, price_band_percent: "2.5" }, 40_217));
    // 40,217 x 2.5% = 1,005.425 ticks: 39,211.575 up to 39,212 and 41,222.425 down to 41,222.
    expect(band).toEqual({ low: 39_212n, high: 41_222n });
  });

  it("rounds the clean notional up", () => {
    expect(cleanNotional(3n, dec("100.0025"), 333n)).toBe(1000n); // 999.024975
    expect(cleanNotional(4n, dec("100"), 333n)).toBe(1332n);
  });
});

describe("estimateCash", () => {
  // Each case as the server's trade_cash computes it (accrued per 100 as the analytics API sends it).
  const cases: [number, bigint, bigint, string, bigint, bigint, bigint][] = [
    [3.1365000000000003, 2_500n, 10_000n, "100.5425", 25_135_625n, 784_125n, 25_919_750n],
    [1.3713698630136986, 7n, 10_000_000n, "99.87", 69_909_000n, 959_959n, 70_868_959n],
    [2.375616438356164, 13n, 10_000_000n, "101.03", 131_339_000n, 3_088_301n, 134_427_301n],
    [0.0775890410958904, 333n, 100_000n, "98.7525", 32_884_583n, 25_837n, 32_910_420n],
  ];

  it.each(cases)("matches the server for accrued %s", (accrued, units, face, price, clean, interest, total) => {
    const cash = estimateCash({
      side: "buy",
      units,
      price: dec(price),
      accruedPer100: numberToDecimal(accrued, 12)!,
      faceValue: face,
      feeBps: dec("0"),
    });
    expect(cash).toEqual({ clean, accrued: interest, fee: 0n, settlement: total });
  });

  it("rounds half to even, and adds the fee (rounded up) for a buyer, takes it for a seller", () => {
    // 1 unit of face 1 at 50.5: 0.505 paise clean, 0.25 accrued: total 0.755 -> 1, accrued 0.25 -> 0.
    const args = { units: 1n, price: dec("50.5"), accruedPer100: dec("25"), faceValue: 1n, feeBps: dec("0") };
    expect(estimateCash({ ...args, side: "buy" })).toEqual({ clean: 1n, accrued: 0n, fee: 0n, settlement: 1n });
    const half = { ...args, price: dec("50"), accruedPer100: dec("0") };
    expect(estimateCash({ ...half, side: "buy" }).clean).toBe(0n); // 0.5 -> 0
    expect(estimateCash({ ...half, faceValue: 3n, side: "buy" }).clean).toBe(2n); // 1.5 -> 2
    const fee = { units: 100n, price: dec("100"), accruedPer100: dec("1"), faceValue: 10_000n, feeBps: dec("2.5") };
    // clean 1,000,000, accrued 10,000, fee 250.
    expect(estimateCash({ ...fee, side: "buy" })).toEqual({ clean: 1_000_000n, accrued: 10_000n, fee: 250n, settlement: 1_010_250n });
    expect(estimateCash({ ...fee, side: "sell" }).settlement).toBe(1_009_750n);
    expect(estimateCash({ ...fee, feeBps: dec("0.33"), side: "buy" }).fee).toBe(33n);
    expect(estimateCash({ ...fee, feeBps: dec("0.331"), side: "buy" }).fee).toBe(34n); // 33.1 up
  });

  it("handles negative accrued interest (ex-coupon)", () => {
    const cash = estimateCash({ side: "buy", units: 1n, price: dec("100"), accruedPer100: dec("-0.015"), faceValue: 10_000n, feeBps: dec("0") });
    // accrued -1.5 -> -2 (half to even); total 9,998.5 -> 9,998; clean the remainder.
    expect(cash).toEqual({ clean: 10_000n, accrued: -2n, fee: 0n, settlement: 9_998n });
  });
});

describe("fieldOfProblem", () => {
  it("maps the server's field paths to the ticket's fields", () => {
    expect(fieldOfProblem("body.quantity", { priceMode: "price" })).toBe("quantity");
    expect(fieldOfProblem("body.price", { priceMode: "price" })).toBe("price");
    expect(fieldOfProblem("body.price", { priceMode: "yield" })).toBe("yieldPercent");
    expect(fieldOfProblem("body.stop_price", { priceMode: "price" })).toBe("stopPrice");
    expect(fieldOfProblem("body", { priceMode: "price" })).toBeNull();
  });
});
