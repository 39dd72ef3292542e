/**
 * How every screen writes dates, times and API codes (Indian English). Instants are shown in the
 * viewer's time zone; calendar dates ("2026-12-21") carry none, so they are formatted as UTC and
 * never shift a day.
 */
import { formatPrice, parseDecimal } from "./decimal";
import { parseIsoDate } from "./dates";

const dateTimeFormat = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeStyle: "short" });
const dateTimeSecondsFormat = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeStyle: "medium" });
const localDateFormat = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium" });
const timeFormat = new Intl.DateTimeFormat("en-IN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const dateFormat = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeZone: "UTC" });
const monthFormat = new Intl.DateTimeFormat("en-IN", { month: "long", year: "numeric", timeZone: "UTC" });

/** An instant in `format`: "—" when absent, the text itself when it is not a date-time. */
function formatInstant(iso: string | null | undefined, format: Intl.DateTimeFormat): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : format.format(date);
}

/** An instant (ISO date-time) as "22 Nov 2026, 3:40 am"; with `seconds`, "22 Nov 2026, 3:40:05 am". */
export function formatDateTime(iso: string | null | undefined, { seconds = false }: { seconds?: boolean } = {}): string {
  return formatInstant(iso, seconds ? dateTimeSecondsFormat : dateTimeFormat);
}

/** The day an instant falls on where the viewer is, as "22 Nov 2026". */
export function formatLocalDate(iso: string | null | undefined): string {
  return formatInstant(iso, localDateFormat);
}

/** An instant's local time of day, to the second ("15:40:05"). */
export function formatTime(iso: string): string {
  return formatInstant(iso, timeFormat);
}

/** A calendar date ("2026-12-21") as "21 Dec 2026" ("—" when absent). */
export function formatDate(isoDate: string | null | undefined): string {
  if (!isoDate) return "—";
  const date = parseIsoDate(isoDate);
  return date ? dateFormat.format(date) : isoDate;
}

/** The month of a calendar date as "December 2026". */
export function formatMonth(isoDate: string): string {
  const date = parseIsoDate(isoDate);
  return date ? monthFormat.format(date) : isoDate.slice(0, 7);
}

/** An API code for display: "partially_filled" as "Partially filled". */
export function humanize(code: string): string {
  const words = code.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The last eight characters of a UUID (its random part: v7 ids share their leading timestamp). */
export function shortId(id: string): string {
  return id.slice(-8);
}

/** How many decimals an instrument's prices show: those of its tick size. */
export function tickDigits(tickSize: string): number | undefined {
  return parseDecimal(tickSize)?.scale;
}

/** A coupon rate in percent ("7.38") as "7.38%". */
export function formatCoupon(rate: string): string {
  return `${formatPrice(rate)}%`;
}
