import { useEffect, useState } from "react";
import { formatDateTime } from "../../lib/format";
import { formatCountdown, nextMilestone, type Auction } from "./auctions";

/** The current time, re-rendering every second while mounted. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1_000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

/** What happens next to an auction and in how long ("Closes in 04:05"), live; nothing when nothing is scheduled. */
export function NextStep({ auction }: { auction: Pick<Auction, "status" | "announce_at" | "opens_at" | "closes_at"> }) {
  const now = useNow();
  const next = nextMilestone(auction);
  if (!next) return null;
  const left = new Date(next.at).getTime() - now;
  return (
    <span title={formatDateTime(next.at, { seconds: true })}>
      {next.label} {left > 0 ? <>in <span className="mono">{formatCountdown(left)}</span></> : "any moment"}
    </span>
  );
}
