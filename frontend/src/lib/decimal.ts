/**
 * Exact decimal handling. Prices and amounts travel as decimal strings or integer minor units
 * and are never parsed into floats for arithmetic: values here are BigInt with a scale.
 */

/** An exact decimal: `units / 10^scale`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** Parse "101.25" (or "-0.5") exactly; null when the text is not a plain decimal number. */
export function parseDecimal(text: string): Decimal | null {
  const match = DECIMAL_RE.exec(text.trim());
  if (!match) return null;
  const [, sign, whole, fraction = ""] = match;
  const units = BigInt(`${whole}${fraction}`);
  return { units: sign === "-" ? -units : units, scale: fraction.length };
}

/** The same value at a larger scale (never loses digits). */
function rescale(value: Decimal, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

/** Compare two decimals: negative, zero or positive. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const diff = rescale(a, scale) - rescale(b, scale);
  return diff === 0n ? 0 : diff < 0n ? -1 : 1;
}

/** a + b, exactly. */
export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

/** a - b, exactly. */
export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  return addDecimal(a, { units: -b.units, scale: b.scale });
}

/** a x b, exactly. */
export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Is `value` an exact multiple of `step` (both positive)? */
export function isMultipleOf(value: Decimal, step: Decimal): boolean {
  const scale = Math.max(value.scale, step.scale);
  const stepUnits = rescale(step, scale);
  return stepUnits !== 0n && rescale(value, scale) % stepUnits === 0n;
}

/** Round half-up (away from zero) to `scale` fraction digits. */
export function roundDecimal(value: Decimal, scale: number): Decimal {
  if (value.scale <= scale) return { units: rescale(value, scale), scale };
  const divisor = 10n ** BigInt(value.scale - scale);
  const negative = value.units < 0n;
  const magnitude = negative ? -value.units : value.units;
  let units = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) units += 1n;
  return { units: negative ? -units : units, scale };
}

/** The plain text of a decimal, e.g. "-1234.50". */
export function decimalToString(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, "0");
  const whole = value.scale ? digits.slice(0, -value.scale) : digits;
  const fraction = value.scale ? `.${digits.slice(-value.scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** Integer minor units (paise) to a decimal of the asset's scale. */
export function fromMinor(minor: number | bigint | string, scale: number): Decimal {
  return { units: BigInt(minor), scale };
}

/** A decimal amount to integer minor units, or null when it has more digits than `scale` allows. */
export function toMinor(value: Decimal, scale: number): bigint | null {
  if (value.scale > scale) {
    const excess = 10n ** BigInt(value.scale - scale);
    if (value.units % excess !== 0n) return null;
    return value.units / excess;
  }
  return rescale(value, scale);
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(minDigits: number, maxDigits: number, currency?: string): Intl.NumberFormat {
  const key = `${minDigits}:${maxDigits}:${currency ?? ""}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.NumberFormat("en-IN", {
      minimumFractionDigits: minDigits,
      maximumFractionDigits: maxDigits,
      ...(currency ? { style: "currency", currency } : {}),
    });
    formatters.set(key, found);
  }
  return found;
}

/**
 * Group a decimal for display ("1,23,456.50" in Indian grouping). Intl formats the decimal
 * string itself, so no digit passes through a float.
 */
export function formatDecimal(value: Decimal | string, fractionDigits?: number, currency?: string): string {
  const decimal = typeof value === "string" ? parseDecimal(value) : value;
  if (!decimal) return typeof value === "string" ? value : "";
  const digits = fractionDigits ?? decimal.scale;
  const text = decimalToString(roundDecimal(decimal, digits));
  // Intl.NumberFormat accepts exact decimal strings (ECMA-402 "Intl.NumberFormat v3").
  return formatter(digits, digits, currency).format(text as unknown as number);
}

/**
 * ISO 4217 minor-unit digits of a currency (2 for INR), for amounts the API sends without their
 * scale; 2 when the code is unknown.
 */
export function currencyScale(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units as money, e.g. formatMoney(123450, 2, "INR") is "₹1,234.50". */
export function formatMoney(minor: number | bigint | string | null | undefined, scale: number, currency?: string): string {
  if (minor === null || minor === undefined) return "—";
  return formatDecimal(fromMinor(minor, scale), scale, currency);
}

/** A decimal price string for display, keeping its own digits ("—" when absent). */
export function formatPrice(price: string | null | undefined, fractionDigits?: number): string {
  if (price === null || price === undefined) return "—";
  return formatDecimal(price, fractionDigits);
}

/** A whole-number quantity with grouping. */
export function formatQuantity(quantity: number | bigint | null | undefined): string {
  if (quantity === null || quantity === undefined) return "—";
  return formatter(0, 0).format(quantity);
}

/**
 * A percentage or yield the API sends as a JSON number (display only, never arithmetic on money),
 * e.g. formatPercent(7.1234) is "7.12%".
 */
export function formatPercent(value: number | null | undefined, fractionDigits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${value.toFixed(fractionDigits)}%`;
}
