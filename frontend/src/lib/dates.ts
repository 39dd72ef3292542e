/** Calendar-date arithmetic on ISO dates ("2026-12-21"): no time zone, no formatting. */

const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A calendar date ("2026-12-21") as midnight UTC, or null when it is not one. */
export function parseIsoDate(isoDate: string): Date | null {
  if (!ISO_DATE_RE.test(isoDate)) return null;
  const date = new Date(`${isoDate}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== isoDate ? null : date;
}

/** Today's calendar date where the viewer is, e.g. "2026-11-22" (what a date input holds). */
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

/**
 * A range of local calendar days [from, to] (either "" for open) as the instants an API takes:
 * local midnight starting `from`, and local midnight after `to` (exclusive).
 */
export function localDaysAsInstants(from: string, to: string): { from?: string; to?: string } {
  const start = from ? parseIsoDate(from) : null;
  const last = to ? parseIsoDate(to) : null;
  return {
    ...(start ? { from: localMidnight(start).toISOString() } : {}),
    ...(last ? { to: localMidnight(new Date(last.getTime() + DAY_MS)).toISOString() } : {}),
  };
}

function localMidnight(day: Date): Date {
  return new Date(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
}
