/**
 * The bond ticket: client-side checks mirroring the server's pre-trade checks
 * (`liquibond.trading.schemas.OrderCreate` and `liquibond.trading.service`) and the estimated
 * cash of the trade (`liquibond.analytics.trade_cash`), in exact decimals. The server stays the
 * judge: this only spares a round trip and shows the figures before an order is sent.
 */
import type { components } from "../api/client";
import { compareDecimal, currencyScale, decimalToString, formatMoney, isMultipleOf, parseDecimal, type Decimal } from "./decimal";

type Instrument = components["schemas"]["InstrumentOut"];
export type Side = components["schemas"]["OrderSide"];
export type OrderKind = components["schemas"]["OrderKind"];
export type TimeInForce = components["schemas"]["OrderTif"];
export type SelfTradePrevention = components["schemas"]["SelfTradePrevention"];
export type OrderCreate = components["schemas"]["OrderCreate"];
/** A limit given as a clean price or as a yield to maturity. */
export type PriceMode = "price" | "yield";

/** What the ticket's form holds (text as typed; an empty stop price means no stop). */
export interface TicketValues {
  side: Side;
  type: "limit" | "market";
  priceMode: PriceMode;
  price: string;
  yieldPercent: string;
  quantity: string;
  timeInForce: TimeInForce;
  stopPrice: string;
  displayQuantity: string;
  minQuantity: string;
  allOrNone: boolean;
  postOnly: boolean;
  /** A `datetime-local` value, for good-till-date orders. */
  expireAt: string;
  selfTradePrevention: SelfTradePrevention;
}

export type TicketField = keyof TicketValues;
export type TicketErrors = Partial<Record<TicketField, string>>;

/** The instrument's trading rules the ticket checks against. */
export interface TicketRules {
  tickSize: Decimal;
  minLot: bigint;
  lotIncrement: bigint;
  /** Face value of one unit, in minor units of `currency`. */
  faceValue: bigint;
  currency: string;
  scale: number;
  priceBandPercent: Decimal | null;
  maxOrderNotional: bigint | null;
  /** The band's reference: the last trade's price in ticks (null: none known). */
  referenceTicks: bigint | null;
  makerFeeBps: Decimal;
  takerFeeBps: Decimal;
}

/** An empty ticket for `side`. */
export function emptyTicket(side: Side = "buy"): TicketValues {
  return {
    side,
    type: "limit",
    priceMode: "price",
    price: "",
    yieldPercent: "",
    quantity: "",
    timeInForce: "gtc",
    stopPrice: "",
    displayQuantity: "",
    minQuantity: "",
    allOrNone: false,
    postOnly: false,
    expireAt: "",
    selfTradePrevention: "cancel_newest",
  };
}

const ZERO: Decimal = { units: 0n, scale: 0 };
const PRICE_MAX: Decimal = { units: 10_000n, scale: 0 };
const YIELD_MIN: Decimal = { units: -10n, scale: 0 };
const YIELD_MAX: Decimal = { units: 100n, scale: 0 };
const MAX_DECIMALS = 6;
const MAX_QUANTITY = 10n ** 12n;
const RESTING: readonly TimeInForce[] = ["gtc", "day", "gtd"];
const IMMEDIATE: readonly TimeInForce[] = ["ioc", "fok"];
const ALL_TIF: readonly TimeInForce[] = [...RESTING, ...IMMEDIATE];

/** The ticket's rules for an instrument, with the last trade's ticks as the band's reference. */
export function ticketRules(instrument: Instrument, referenceTicks: number | null | undefined): TicketRules {
  const decimal = (text: string) => parseDecimal(text) ?? ZERO;
  return {
    tickSize: decimal(instrument.tick_size),
    minLot: BigInt(instrument.min_lot),
    lotIncrement: BigInt(instrument.lot_increment),
    faceValue: BigInt(instrument.face_value),
    currency: instrument.currency,
    scale: currencyScale(instrument.currency),
    priceBandPercent: instrument.price_band_percent ? parseDecimal(instrument.price_band_percent) : null,
    maxOrderNotional: instrument.max_order_notional === null ? null : BigInt(instrument.max_order_notional),
    referenceTicks: referenceTicks === null || referenceTicks === undefined ? null : BigInt(referenceTicks),
    makerFeeBps: decimal(instrument.maker_fee_bps),
    takerFeeBps: decimal(instrument.taker_fee_bps),
  };
}

/** The order type the ticket sends: a stop price turns a market order into a stop and a limit
 * into a stop-limit. */
export function orderKind(values: Pick<TicketValues, "type" | "stopPrice">): OrderKind {
  const stop = values.stopPrice.trim() !== "";
  if (values.type === "market") return stop ? "stop" : "market";
  return stop ? "stop_limit" : "limit";
}

/** The times in force an order type allows, the default first. */
export function timesInForce(kind: OrderKind): readonly TimeInForce[] {
  if (kind === "market") return IMMEDIATE;
  if (kind === "stop" || kind === "stop_limit") return RESTING;
  return ALL_TIF;
}

/** Can an order with this time in force rest in the book? */
function canRest(tif: TimeInForce): boolean {
  return RESTING.includes(tif);
}

// -- exact integer arithmetic ----------------------------------------------------------------

/** a / b rounded down (b > 0). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** a / b rounded up (b > 0). */
function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

/** a / b rounded half to even (b > 0), as Python's `round` of a Fraction. */
function roundHalfEven(a: bigint, b: bigint): bigint {
  const q = floorDiv(a, b);
  const twice = 2n * (a - q * b);
  return twice > b || (twice === b && q % 2n !== 0n) ? q + 1n : q;
}

const pow10 = (n: number) => 10n ** BigInt(n);

/** A JSON number as an exact decimal: its shortest round-trip digits (Python's `repr`), or
 * rounded to `significant` digits to shed binary noise (3.1365000000000003 is 3.1365). */
export function numberToDecimal(value: number, significant?: number): Decimal | null {
  if (!Number.isFinite(value)) return null;
  const text = significant ? value.toPrecision(significant) : String(value);
  const match = /^(-?)(\d+)(?:\.(\d*))?e([+-]\d+)$/.exec(text);
  if (!match) return parseDecimal(text);
  const [, sign, whole, fraction = "", exponent] = match;
  const digits = BigInt(`${whole}${fraction}`);
  const scale = fraction.length - Number(exponent);
  const units = scale >= 0 ? digits : digits * pow10(-scale);
  return { units: sign ? -units : units, scale: Math.max(0, scale) };
}

/** `price` in whole ticks, or null when it is not on the tick. */
export function toTicks(price: Decimal, tickSize: Decimal): bigint | null {
  if (tickSize.units <= 0n || !isMultipleOf(price, tickSize)) return null;
  return (price.units * pow10(tickSize.scale)) / (tickSize.units * pow10(price.scale));
}

/** The clean price of `ticks`. */
export function fromTicks(ticks: bigint, tickSize: Decimal): Decimal {
  return { units: ticks * tickSize.units, scale: tickSize.scale };
}

/** The clean price the server sends a yield order at: the analytics' clean price rounded to the
 * tick that never gives a worse yield (a buy down, a sell up); null when not positive. */
export function priceForYield(clean: number, tickSize: Decimal, side: Side): Decimal | null {
  const price = numberToDecimal(clean);
  if (!price || tickSize.units <= 0n) return null;
  const numerator = price.units * pow10(tickSize.scale);
  const denominator = tickSize.units * pow10(price.scale);
  const ticks = side === "buy" ? floorDiv(numerator, denominator) : ceilDiv(numerator, denominator);
  return ticks > 0n ? fromTicks(ticks, tickSize) : null;
}

/** The price band's edges in ticks around the reference, rounded inwards (null: no band). */
export function priceBand(rules: TicketRules): { low: bigint; high: bigint } | null {
  const { referenceTicks: reference, priceBandPercent: percent } = rules;
  if (reference === null || percent === null) return null;
  const denominator = 100n * pow10(percent.scale);
  const width = reference * percent.units;
  const low = ceilDiv(reference * denominator - width, denominator);
  const high = floorDiv(reference * denominator + width, denominator);
  return { low: low < 1n ? 1n : low, high };
}

/** Clean consideration of `units` at `price`, in minor units, rounded up (the notional check). */
export function cleanNotional(units: bigint, price: Decimal, faceValue: bigint): bigint {
  return ceilDiv(units * faceValue * price.units, 100n * pow10(price.scale));
}

// -- validation ------------------------------------------------------------------------------

function decimalPlaces(value: Decimal): number {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return scale;
}

/** A whole number of units from text, or an error message. */
function parseUnits(text: string): bigint | string {
  const trimmed = text.trim();
  if (trimmed === "") return "Enter a quantity.";
  if (!/^\d+$/.test(trimmed)) return "Enter a whole number of units.";
  const units = BigInt(trimmed);
  if (units <= 0n) return "Must be more than 0.";
  if (units > MAX_QUANTITY) return "At most 1,000,000,000,000 units.";
  return units;
}

function lotError(units: bigint, rules: TicketRules): string | null {
  if (units < rules.minLot || (units - rules.minLot) % rules.lotIncrement !== 0n) {
    return `At least ${rules.minLot} units, in steps of ${rules.lotIncrement}.`;
  }
  return null;
}

/** A price's error: range, decimals, tick and band; or its ticks. */
function checkPrice(text: string, rules: TicketRules, band: ReturnType<typeof priceBand>): bigint | string {
  const trimmed = text.trim();
  if (trimmed === "") return "Enter a price.";
  const price = parseDecimal(trimmed);
  if (!price) return "Enter a number such as 100.25.";
  if (compareDecimal(price, ZERO) <= 0 || compareDecimal(price, PRICE_MAX) >= 0) {
    return "Must be more than 0 and less than 10,000.";
  }
  if (decimalPlaces(price) > MAX_DECIMALS) return `At most ${MAX_DECIMALS} decimal places.`;
  const ticks = toTicks(price, rules.tickSize);
  if (ticks === null) return `Must be a multiple of the tick size ${decimalToString(rules.tickSize)}.`;
  return bandError(ticks, rules, band) ?? ticks;
}

function bandError(ticks: bigint, rules: TicketRules, band: ReturnType<typeof priceBand>): string | null {
  if (!band || (ticks >= band.low && ticks <= band.high)) return null;
  const price = (t: bigint) => decimalToString(fromTicks(t, rules.tickSize));
  return (
    `Must lie within ${decimalToString(rules.priceBandPercent ?? ZERO)}% of the reference price ` +
    `${price(rules.referenceTicks ?? 0n)}: from ${price(band.low)} to ${price(band.high)}.`
  );
}

function checkYield(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "") return "Enter a yield.";
  const value = parseDecimal(trimmed);
  if (!value) return "Enter a percentage such as 7.25.";
  if (compareDecimal(value, YIELD_MIN) <= 0 || compareDecimal(value, YIELD_MAX) >= 0) {
    return "Must be more than -10 and less than 100.";
  }
  return decimalPlaces(value) > MAX_DECIMALS ? `At most ${MAX_DECIMALS} decimal places.` : null;
}

/** What validation needs besides the form: the price a yield converts to, and the time. */
export interface ValidationContext {
  /** The clean price a yield limit converts to (when known). */
  impliedPrice?: Decimal | null;
  now?: Date;
}

/** Every field error of a ticket, as the server would refuse it (empty: fit to send). */
export function validateTicket(values: TicketValues, rules: TicketRules, context: ValidationContext = {}): TicketErrors {
  const errors: TicketErrors = {};
  const kind = orderKind(values);
  const priced = kind === "limit" || kind === "stop_limit";
  const stops = kind === "stop" || kind === "stop_limit";
  const band = priceBand(rules);

  const units = parseUnits(values.quantity);
  if (typeof units === "string") errors.quantity = units;
  else {
    const lot = lotError(units, rules);
    if (lot) errors.quantity = lot;
  }

  let limit: Decimal | null = null;
  if (priced && values.priceMode === "price") {
    const checked = checkPrice(values.price, rules, band);
    if (typeof checked === "string") errors.price = checked;
    else limit = fromTicks(checked, rules.tickSize);
  } else if (priced) {
    const problem = checkYield(values.yieldPercent);
    if (problem) errors.yieldPercent = problem;
    else if (context.impliedPrice) {
      const ticks = toTicks(context.impliedPrice, rules.tickSize);
      const outside = ticks === null ? null : bandError(ticks, rules, band);
      if (outside) errors.yieldPercent = outside.replace("Must lie", "Its price must lie");
      else limit = context.impliedPrice;
    }
  }

  if (stops) {
    const checked = checkPrice(values.stopPrice, rules, band);
    if (typeof checked === "string") errors.stopPrice = checked;
  }

  if (!timesInForce(kind).includes(values.timeInForce)) {
    errors.timeInForce =
      kind === "market" ? "A market order is immediate or cancel, or fill or kill." : "A stop order must be able to rest (GTC, day or GTD).";
  }
  if (values.timeInForce === "gtd") {
    const expires = values.expireAt ? new Date(values.expireAt) : null;
    if (!expires || Number.isNaN(expires.getTime())) errors.expireAt = "Enter when the order expires.";
    else if (expires <= (context.now ?? new Date())) errors.expireAt = "Must be in the future.";
  }

  const quantity = typeof units === "bigint" ? units : null;
  if (values.displayQuantity.trim() !== "") {
    const shown = parseUnits(values.displayQuantity);
    if (typeof shown === "string") errors.displayQuantity = shown;
    else if (kind !== "limit") errors.displayQuantity = "An iceberg is a limit order.";
    else if (quantity !== null && shown > quantity) errors.displayQuantity = "Cannot exceed the quantity.";
    else {
      const lot = lotError(shown, rules);
      if (lot) errors.displayQuantity = lot;
    }
  }
  if (values.minQuantity.trim() !== "") {
    const least = parseUnits(values.minQuantity);
    if (typeof least === "string") errors.minQuantity = least;
    else if (stops) errors.minQuantity = "Stops take no minimum quantity.";
    else if (quantity !== null && least > quantity) errors.minQuantity = "Cannot exceed the quantity.";
  }
  if (values.allOrNone && stops) errors.allOrNone = "Stops cannot be all or none.";
  if (values.postOnly && (kind !== "limit" || !canRest(values.timeInForce))) {
    errors.postOnly = "Post only is for limit orders that can rest (GTC, day or GTD).";
  }

  if (!errors.quantity && quantity !== null && limit && rules.maxOrderNotional !== null) {
    const notional = cleanNotional(quantity, limit, rules.faceValue);
    if (notional > rules.maxOrderNotional) {
      const money = (minor: bigint) => formatMoney(minor, rules.scale, rules.currency);
      errors.quantity = `The clean consideration ${money(notional)} exceeds the largest allowed, ${money(rules.maxOrderNotional)}.`;
    }
  }
  return errors;
}

// -- the order and its cash ------------------------------------------------------------------

/** The limit the ticket states, in the form the server takes it. */
function limitFields(values: TicketValues): Pick<OrderCreate, "price" | "yield_percent"> {
  const kind = orderKind(values);
  if (kind !== "limit" && kind !== "stop_limit") return {};
  return values.priceMode === "price" ? { price: values.price.trim() } : { yield_percent: values.yieldPercent.trim() };
}

/** The `POST /api/v1/orders` body of a valid ticket. */
export function orderRequest(values: TicketValues, instrumentId: string, clientOrderId: string): OrderCreate {
  const kind = orderKind(values);
  const stop = values.stopPrice.trim();
  const shown = values.displayQuantity.trim();
  const least = values.minQuantity.trim();
  return {
    instrument_id: instrumentId,
    client_order_id: clientOrderId,
    side: values.side,
    order_type: kind,
    time_in_force: values.timeInForce,
    quantity: Number(values.quantity.trim()),
    ...limitFields(values),
    ...(stop ? { stop_price: stop } : {}),
    ...(shown ? { display_quantity: Number(shown) } : {}),
    ...(least ? { min_quantity: Number(least) } : {}),
    ...(values.timeInForce === "gtd" ? { expire_at: new Date(values.expireAt).toISOString() } : {}),
    all_or_none: values.allOrNone,
    post_only: values.postOnly,
    self_trade_prevention: values.selfTradePrevention,
  };
}

/** Would the order take liquidity on arrival (so pay the taker fee)? */
export function likelyTaker(side: Side, kind: OrderKind, limitTicks: bigint | null, bestOppositeTicks: number | null): boolean {
  if (kind !== "limit") return true;
  if (limitTicks === null || bestOppositeTicks === null) return false;
  const opposite = BigInt(bestOppositeTicks);
  return side === "buy" ? limitTicks >= opposite : limitTicks <= opposite;
}

/** The estimated cash of a trade, in minor units. */
export interface CashEstimate {
  /** Clean consideration: price x face x units / 100. */
  clean: bigint;
  accrued: bigint;
  fee: bigint;
  /** What the buyer pays (clean + accrued + fee) or the seller receives (clean + accrued - fee). */
  settlement: bigint;
}

/**
 * The cash of buying or selling `units` at a clean `price` per 100 with `accruedPer100` of
 * interest accrued per 100 of face: the total is rounded once, half to even, the accrued the
 * same way and the clean amount is the remainder (as the server's `trade_cash`); the fee is
 * `feeBps` of the clean amount, rounded up.
 */
export function estimateCash(args: {
  side: Side;
  units: bigint;
  price: Decimal;
  accruedPer100: Decimal;
  faceValue: bigint;
  feeBps: Decimal;
}): CashEstimate {
  const { side, units, price, accruedPer100, faceValue, feeBps } = args;
  const nominal = units * faceValue;
  const scale = Math.max(price.scale, accruedPer100.scale);
  const at = (value: Decimal) => nominal * value.units * pow10(scale - value.scale);
  const denominator = 100n * pow10(scale);
  const total = roundHalfEven(at(price) + at(accruedPer100), denominator);
  const accrued = roundHalfEven(at(accruedPer100), denominator);
  const clean = total - accrued;
  const fee = ceilDiv(clean * feeBps.units, 10_000n * pow10(feeBps.scale));
  return { clean, accrued, fee, settlement: side === "buy" ? total + fee : total - fee };
}

/** A ticket field a server problem's `field` names (e.g. `body.price`), or null for the form. */
export function fieldOfProblem(field: string, values: Pick<TicketValues, "priceMode">): TicketField | null {
  const name = field.replace(/^body\./, "");
  const fields: Record<string, TicketField> = {
    price: values.priceMode === "yield" ? "yieldPercent" : "price",
    yield_percent: "yieldPercent",
    quantity: "quantity",
    stop_price: "stopPrice",
    display_quantity: "displayQuantity",
    min_quantity: "minQuantity",
    expire_at: "expireAt",
    time_in_force: "timeInForce",
    post_only: "postOnly",
    all_or_none: "allOrNone",
    order_type: "type",
    side: "side",
    self_trade_prevention: "selfTradePrevention",
  };
  return fields[name] ?? null;
}
