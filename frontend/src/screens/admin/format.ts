/** Display helpers shared by the admin, compliance and issuer screens. */

const dateTime = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeZone: "UTC" });

/** An API timestamp in the viewer's locale ("—" when absent). */
export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

/** An API calendar date ("2027-06-20") as written in India, without any time-zone shift. */
export function formatDate(isoDate: string | null | undefined): string {
  return isoDate ? dateOnly.format(new Date(`${isoDate}T00:00:00Z`)) : "—";
}

/** The last eight characters of a UUID (its random part: v7 ids share their leading timestamp). */
export function shortId(id: string): string {
  return id.slice(-8);
}

/** "pending_approval" → "Pending approval". */
export function humanize(code: string): string {
  const words = code.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
