/**
 * The "Draft a bond" form: its fields (as typed text), the server's InstrumentCreate rules
 * mirrored in zod, and the exact conversion to and from the API's shapes (money in minor units,
 * decimals as canonical strings, never through floats).
 */
import { z } from "zod";
import type { components } from "../../api/client";
import { compareDecimal, currencyScale, decimalToString, fromMinor, parseDecimal, toMinor, type Decimal } from "../../lib/decimal";
import { isValidIsin } from "./isin";

type InstrumentCreate = components["schemas"]["InstrumentCreate"];
type InstrumentUpdate = components["schemas"]["InstrumentUpdate"];
type Instrument = components["schemas"]["InstrumentOut"];
type DayCount = components["schemas"]["DayCount"];
type SettlementCycle = components["schemas"]["SettlementCycle"];

/** New drafts are in rupees (the server's default currency). */
export const CURRENCY = "INR";
const SCALE = currencyScale(CURRENCY);

/** Coupon frequencies the server takes (payments a year) and their names. */
export const FREQUENCIES = { "0": "Zero coupon", "1": "Annual", "2": "Semi-annual", "4": "Quarterly", "12": "Monthly" } as const;
type FrequencyKey = keyof typeof FREQUENCIES;
const FREQUENCY_KEYS = ["0", "1", "2", "4", "12"] as const satisfies readonly FrequencyKey[];
const FREQUENCY_VALUES: Record<FrequencyKey, InstrumentCreate["coupon_frequency"]> = { "0": 0, "1": 1, "2": 2, "4": 4, "12": 12 };

/** Day-count conventions, the usual Indian corporate one first. */
export const DAY_COUNTS = ["ACT/ACT-SEBI", "ACT/365F", "ACT/360", "ACT/ACT-ICMA", "ACT/ACT-ISDA", "30/360", "30E/360"] as const satisfies readonly DayCount[];
/** Business days from trade to settlement. */
export const SETTLEMENT_CYCLES = ["T+0", "T+1", "T+2"] as const satisfies readonly SettlementCycle[];
/** The server's shipped holiday calendars (liquibond.analytics.calendar_codes). */
export const CALENDARS = ["NSE", "RBI", "WEEKENDS"] as const;

const MAX_UNITS = 10n ** 15n;
/** Money travels as a JSON number: beyond this it would not be exact (the server allows 10^17). */
const MAX_NOTIONAL = BigInt(Number.MAX_SAFE_INTEGER);

interface DecimalRule {
  min: string;
  /** The minimum itself is allowed (≥) rather than excluded (>). */
  minInclusive: boolean;
  max: string;
  places: number;
  optional?: boolean;
}

/**
 * A decimal typed as text: "Required." when empty (unless `optional`), `notANumber` when it is not
 * a plain decimal, else whatever `check` finds wrong with its exact value.
 */
function decimalField(
  optional: boolean,
  notANumber: string,
  check: (value: Decimal, issue: (message: string) => void) => void,
) {
  return z
    .string()
    .trim()
    .superRefine((text, ctx) => {
      const issue = (message: string) => ctx.addIssue({ code: "custom", message });
      if (text === "") {
        if (!optional) issue("Required.");
        return;
      }
      const value = parseDecimal(text);
      if (!value) issue(notANumber);
      else check(value, issue);
    });
}

/** A decimal typed as text, checked exactly against the server's bounds and decimal places. */
function decimalText({ min, minInclusive, max, places, optional = false }: DecimalRule) {
  return decimalField(optional, "Enter a number, e.g. 7.25.", (value, issue) => {
    if (toMinor(value, places) === null) issue(`At most ${places} decimal places.`);
    const low = compareDecimal(value, parseDecimal(min)!);
    if (low < 0 || (low === 0 && !minInclusive)) issue(minInclusive ? `At least ${min}.` : `More than ${min}.`);
    if (compareDecimal(value, parseDecimal(max)!) > 0) issue(`At most ${max}.`);
  });
}

/** A rupee amount typed as text: positive, whole paise, at most `maxMinor` paise. */
function moneyText(maxMinor: bigint, optional = false) {
  return decimalField(optional, "Enter an amount in rupees, e.g. 1000 or 99.50.", (value, issue) => {
    const minor = toMinor(value, SCALE);
    if (minor === null) return issue(`At most ${SCALE} decimal places (whole paise).`);
    if (minor <= 0n) issue("More than zero.");
    if (minor > maxMinor) issue("Too large.");
  });
}

/** A whole number of units typed as text: 1 to 10^15. */
function unitsText() {
  return z
    .string()
    .trim()
    .superRefine((text, ctx) => {
      if (!/^\d+$/.test(text)) return ctx.addIssue({ code: "custom", message: "A whole number of units." });
      const units = BigInt(text);
      if (units <= 0n) ctx.addIssue({ code: "custom", message: "At least 1." });
      if (units > MAX_UNITS) ctx.addIssue({ code: "custom", message: "At most 10^15." });
    });
}

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Choose a date.");
const optionalDate = z.union([z.literal(""), date]);
const optionalTime = z.union([z.literal(""), z.string().regex(/^\d{2}:\d{2}(:\d{2})?$/, "Choose a time.")]);

/** The form's rules: InstrumentCreate's field and cross-field checks, on the typed text. */
export const bondFormSchema = z
  .object({
    isin: z
      .string()
      .trim()
      .toUpperCase()
      .length(12, "12 characters: country, nine letters or digits, a check digit.")
      .refine(isValidIsin, "Not a valid ISIN (format or check digit)."),
    name: z.string().trim().min(3, "At least 3 characters.").max(200, "At most 200 characters."),
    face_value: moneyText(MAX_UNITS),
    coupon_rate: decimalText({ min: "0", minInclusive: true, max: "50", places: 6 }),
    coupon_frequency: z.enum(FREQUENCY_KEYS),
    day_count: z.enum(DAY_COUNTS),
    issue_date: date,
    maturity_date: date,
    first_coupon_date: optionalDate,
    issue_size_units: unitsText(),
    min_lot: unitsText(),
    lot_increment: unitsText(),
    tick_size: decimalText({ min: "0", minInclusive: false, max: "100", places: 6 }),
    settlement_cycle: z.enum(SETTLEMENT_CYCLES),
    credit_rating: z.string().trim().min(1, "Required.").max(20, "At most 20 characters."),
    rating_agency: z.string().trim().max(50, "At most 50 characters."),
    calendar: z.enum(CALENDARS),
    maker_fee_bps: decimalText({ min: "0", minInclusive: true, max: "100", places: 2 }),
    taker_fee_bps: decimalText({ min: "0", minInclusive: true, max: "100", places: 2 }),
    price_band_percent: decimalText({ min: "0", minInclusive: false, max: "50", places: 2, optional: true }),
    max_order_notional: moneyText(MAX_NOTIONAL, true),
    session_open: optionalTime,
    session_close: optionalTime,
    queue_outside_hours: z.boolean(),
    reference_curve: z.string().trim().max(40, "At most 40 characters."),
  })
  .superRefine((form, ctx) => {
    const issue = (path: keyof BondFormValues, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (form.issue_date && form.maturity_date && form.maturity_date <= form.issue_date) {
      issue("maturity_date", "Maturity must be after the issue date.");
    }
    const first = form.first_coupon_date;
    if (first && ((form.issue_date && first <= form.issue_date) || (form.maturity_date && first > form.maturity_date))) {
      issue("first_coupon_date", "The first coupon falls after issue and by maturity.");
    }
    const rate = parseDecimal(form.coupon_rate);
    if (rate && (rate.units === 0n) !== (form.coupon_frequency === "0")) {
      issue("coupon_frequency", "A zero coupon rate goes with “Zero coupon”, and only it.");
    }
    if (Boolean(form.session_open) !== Boolean(form.session_close)) {
      issue(form.session_open ? "session_close" : "session_open", "Set both session times, or neither (round the clock).");
    } else if (form.session_open && form.session_close && form.session_open >= form.session_close) {
      issue("session_close", "The session closes after it opens.");
    }
  });

/** The form's values, as typed. */
export type BondFormValues = z.infer<typeof bondFormSchema>;

/** A new draft's starting values (the server's defaults where it has them). */
export const EMPTY_BOND: BondFormValues = {
  isin: "",
  name: "",
  face_value: "",
  coupon_rate: "",
  coupon_frequency: "1",
  day_count: "ACT/ACT-SEBI",
  issue_date: "",
  maturity_date: "",
  first_coupon_date: "",
  issue_size_units: "",
  min_lot: "1",
  lot_increment: "1",
  tick_size: "0.0025",
  settlement_cycle: "T+1",
  credit_rating: "",
  rating_agency: "",
  calendar: "NSE",
  maker_fee_bps: "0",
  taker_fee_bps: "0",
  price_band_percent: "5",
  max_order_notional: "",
  session_open: "",
  session_close: "",
  queue_outside_hours: false,
  reference_curve: "",
};

/** A validated decimal text without trailing zeros ("7.2600" → "7.26"). */
function canonical(text: string): string {
  const plain = decimalToString(parseDecimal(text) as Decimal);
  return plain.includes(".") ? plain.replace(/0+$/, "").replace(/\.$/, "") : plain;
}

/** Validated rupees as exact minor units (a JSON number: the schema keeps it within safe integers). */
function minor(text: string): number {
  return Number(toMinor(parseDecimal(text) as Decimal, SCALE));
}

/** "09:15" → "09:15:00"; "" → null. */
function time(text: string): string | null {
  if (!text) return null;
  return text.length === 5 ? `${text}:00` : text;
}

/** Everything but the identity (ISIN, currency), which a draft's edit cannot change. */
type Terms = Omit<InstrumentCreate, "isin" | "currency">;

/** The terms of a validated form, exactly as the API takes them. */
function toTerms(form: BondFormValues): Terms {
  return {
    name: form.name,
    face_value: minor(form.face_value),
    coupon_rate: canonical(form.coupon_rate),
    coupon_frequency: FREQUENCY_VALUES[form.coupon_frequency],
    day_count: form.day_count,
    issue_date: form.issue_date,
    maturity_date: form.maturity_date,
    first_coupon_date: form.first_coupon_date || null,
    issue_size_units: Number(form.issue_size_units),
    min_lot: Number(form.min_lot),
    lot_increment: Number(form.lot_increment),
    tick_size: canonical(form.tick_size),
    settlement_cycle: form.settlement_cycle,
    credit_rating: form.credit_rating,
    rating_agency: form.rating_agency || null,
    calendar: form.calendar,
    maker_fee_bps: canonical(form.maker_fee_bps),
    taker_fee_bps: canonical(form.taker_fee_bps),
    price_band_percent: form.price_band_percent ? canonical(form.price_band_percent) : null,
    max_order_notional: form.max_order_notional ? minor(form.max_order_notional) : null,
    session_open: time(form.session_open),
    session_close: time(form.session_close),
    queue_outside_hours: form.queue_outside_hours,
    reference_curve: form.reference_curve || null,
  };
}

/** A validated form as the body of POST /instruments. */
export function toCreate(form: BondFormValues): InstrumentCreate {
  return { isin: form.isin, currency: CURRENCY, ...toTerms(form) };
}

/** A validated form as the body of PATCH /instruments/{id} for a draft (every term). */
export function toUpdate(form: BondFormValues): InstrumentUpdate {
  return toTerms(form);
}

/** `value` when it is one of `options`, else `fallback`. */
function oneOf<T extends string>(options: readonly T[], value: string, fallback: T): T {
  return (options as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** A draft's terms as form text (to edit it). */
export function fromInstrument(instrument: Instrument): BondFormValues {
  const scale = currencyScale(instrument.currency);
  return {
    isin: instrument.isin,
    name: instrument.name,
    face_value: decimalToString(fromMinor(instrument.face_value, scale)),
    coupon_rate: instrument.coupon_rate,
    coupon_frequency: oneOf(FREQUENCY_KEYS, String(instrument.coupon_frequency), "1"),
    day_count: instrument.day_count,
    issue_date: instrument.issue_date,
    maturity_date: instrument.maturity_date,
    first_coupon_date: instrument.first_coupon_date ?? "",
    issue_size_units: String(instrument.issue_size_units),
    min_lot: String(instrument.min_lot),
    lot_increment: String(instrument.lot_increment),
    tick_size: instrument.tick_size,
    settlement_cycle: instrument.settlement_cycle,
    credit_rating: instrument.credit_rating,
    rating_agency: instrument.rating_agency ?? "",
    calendar: oneOf(CALENDARS, instrument.calendar, "NSE"),
    maker_fee_bps: instrument.maker_fee_bps,
    taker_fee_bps: instrument.taker_fee_bps,
    price_band_percent: instrument.price_band_percent ?? "",
    max_order_notional: instrument.max_order_notional === null ? "" : decimalToString(fromMinor(instrument.max_order_notional, scale)),
    session_open: instrument.session_open?.slice(0, 5) ?? "",
    session_close: instrument.session_close?.slice(0, 5) ?? "",
    queue_outside_hours: instrument.queue_outside_hours,
    reference_curve: instrument.reference_curve ?? "",
  };
}
