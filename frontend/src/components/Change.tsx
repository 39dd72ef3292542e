import { formatPercent, formatPrice } from "../lib/decimal";

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
