/** Date formatting for the account screens (Indian English, the viewer's time zone). */
const dateTime = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium" });

/** An API timestamp as "21 Nov 2026, 10:15 pm" ("—" when absent). */
export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

/** An API timestamp's date as "21 Nov 2026" ("—" when absent). */
export function formatDate(iso: string | null | undefined): string {
  return iso ? dateOnly.format(new Date(iso)) : "—";
}
