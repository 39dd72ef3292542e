/** "Buy" in green or "Sell" in red. */
export function SideLabel({ side }: { side: "buy" | "sell" }) {
  return <span className={side === "buy" ? "buy-text" : "sell-text"}>{side === "buy" ? "Buy" : "Sell"}</span>;
}
