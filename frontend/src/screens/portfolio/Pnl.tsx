import { formatMoney } from "../../lib/decimal";

/** A profit or loss in minor units: signed, green when positive and red when negative (the sign says it too). */
export function Pnl({ minor, scale, currency }: { minor: number | null | undefined; scale: number; currency: string }) {
  if (minor === null || minor === undefined) return <span className="muted">—</span>;
  const className = minor > 0 ? "buy-text" : minor < 0 ? "sell-text" : undefined;
  return (
    <span className={className}>
      {minor > 0 ? "+" : ""}
      {formatMoney(minor, scale, currency)}
    </span>
  );
}
