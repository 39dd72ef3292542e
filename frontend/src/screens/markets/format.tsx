/** Display helpers shared by the markets and trade screens. */
import { formatPercent, formatPrice, parseDecimal } from "../../lib/decimal";

const dateFormat = new Intl.DateTimeFormat("en-IN", { day: "2-digit", month: "short", year: "numeric", timeZone: "UTC" });
const timeFormat = new Intl.DateTimeFormat("en-IN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeStyle: "short" });

/** A calendar date ("2027-06-20") as "20 Jun 2027". */
export function formatDate(date: string | null | undefined): string {
  return date ? dateFormat.format(new Date(`${date.slice(0, 10)}T00:00:00Z`)) : "—";
}

/** A timestamp's local time of day, to the second. */
export function formatTime(timestamp: string): string {
  return timeFormat.format(new Date(timestamp));
}

/** A timestamp as a local date and time. */
export function formatDateTime(timestamp: string | null | undefined): string {
  return timestamp ? dateTimeFormat.format(new Date(timestamp)) : "—";
}

/** How many decimals an instrument's prices show: those of its tick size. */
export function tickDigits(tickSize: string): number | undefined {
  return parseDecimal(tickSize)?.scale;
}

/** A coupon rate in percent ("7.38") as "7.38%". */
export function formatCoupon(rate: string): string {
  return `${formatPrice(rate)}%`;
}

/** The 24-hour change of a price, in points and percent, coloured up or down. */
export function Change({
  points,
  percent,
  digits,
}: {
  points: string | null | undefined;
  percent: number | null | undefined;
  digits?: number | undefined;
}) {
  if (points === null || points === undefined) return <span className="muted">—</span>;
  const sign = points.startsWith("-") ? -1 : /[1-9]/.test(points) ? 1 : 0;
  const className = sign > 0 ? "buy-text" : sign < 0 ? "sell-text" : "muted";
  const text = `${sign > 0 ? "+" : ""}${formatPrice(points, digits)}`;
  const pct = percent === null || percent === undefined ? "" : ` (${percent > 0 ? "+" : ""}${formatPercent(percent)})`;
  return <span className={className}>{`${text}${pct}`}</span>;
}

const RATING_ORDER = ["SOV", "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B", "B-", "C", "D"];

/** Ratings from best to worst (unknown scales last, alphabetically). */
export function sortRatings(ratings: Iterable<string>): string[] {
  const rank = (rating: string) => {
    const index = RATING_ORDER.indexOf(rating.toUpperCase());
    return index < 0 ? RATING_ORDER.length : index;
  };
  return [...new Set(ratings)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
