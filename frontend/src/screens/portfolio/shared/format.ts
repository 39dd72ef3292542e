/** Dates and times for display, and the calendar-date arithmetic the filters need (no money here). */

const dateTimeFormat = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeStyle: "medium" });
// Calendar dates ("2026-12-21") carry no time zone: format them as UTC so they never shift a day.
const dateFormat = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeZone: "UTC" });
const monthFormat = new Intl.DateTimeFormat("en-IN", { month: "long", year: "numeric", timeZone: "UTC" });

const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** An instant (ISO date-time) in the viewer's time zone, e.g. "22 Nov 2026, 3:40:05 am". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimeFormat.format(date);
}

/** A calendar date ("2026-12-21") as "21 Dec 2026". */
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

/** A calendar date ("2026-12-21") as midnight UTC, or null when it is not one. */
export function parseIsoDate(isoDate: string): Date | null {
  if (!ISO_DATE_RE.test(isoDate)) return null;
  const date = new Date(`${isoDate}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== isoDate ? null : date;
}

/** Today's calendar date where the viewer is, e.g. "2026-11-22". */
export function today(now: Date = new Date()): string {
  const month = String(now.getMonth() + 1).padStart(2, "0");
  const day = String(now.getDate()).padStart(2, "0");
  return `${now.getFullYear()}-${month}-${day}`;
}

/** A calendar date moved by whole days. */
export function addDays(isoDate: string, days: number): string {
  const date = parseIsoDate(isoDate);
  if (!date) throw new RangeError(`Not a calendar date: ${isoDate}`);
  return new Date(date.getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `start` to `end` counting both (1 when they are the same day). */
export function daysInclusive(start: string, end: string): number {
  const a = parseIsoDate(start);
  const b = parseIsoDate(end);
  if (!a || !b) return Number.NaN;
  return Math.round((b.getTime() - a.getTime()) / DAY_MS) + 1;
}

/** The first day of the month a calendar date falls in. */
export function startOfMonth(isoDate: string): string {
  return `${isoDate.slice(0, 7)}-01`;
}

/** Does an instant (ISO date-time) fall on a local calendar day within [from, to] (either bound optional)? */
export function onLocalDayWithin(iso: string, from: string, to: string): boolean {
  const day = today(new Date(iso));
  return (!from || day >= from) && (!to || day <= to);
}

/** An API enum value for display: "partially_filled" as "Partially filled". */
export function humanize(value: string): string {
  const words = value.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
