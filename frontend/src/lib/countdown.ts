/** Time left until an instant, as the live screens show it (auctions, RFQs). */

/** Milliseconds from `now` until the instant `iso` (negative once it has passed; -Infinity when absent). */
export function msUntil(iso: string | null | undefined, now: number): number {
  if (!iso) return Number.NEGATIVE_INFINITY;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? Number.NEGATIVE_INFINITY : at - now;
}

/** A time left as "2d 03:04:05", "03:04:05" or "04:05"; "now" once it is due. */
export function formatCountdown(ms: number): string {
  if (ms <= 0) return "now";
  const total = Math.ceil(ms / 1000);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  const clock = hours || days ? `${pad(hours)}:${pad(minutes)}:${pad(seconds)}` : `${pad(minutes)}:${pad(seconds)}`;
  return days ? `${days}d ${clock}` : clock;
}

/** A short time left to a tenth of a second, rounded up ("3.2 s"); "0.0 s" once it is due (a last look's hold). */
export function formatTenths(ms: number): string {
  const tenths = ms <= 0 ? 0 : Math.ceil(ms / 100);
  return `${Math.floor(tenths / 10)}.${tenths % 10} s`;
}

/** A duration such as a mean response time: "850 ms", "4.3 s", "2 min 05 s"; "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) {
    const tenths = Math.round(ms / 100);
    return tenths < 600 ? `${Math.floor(tenths / 10)}.${tenths % 10} s` : "1 min 00 s";
  }
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
}
