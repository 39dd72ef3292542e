import { formatCountdown } from "../../lib/countdown";
import { formatDateTime } from "../../lib/format";
import { useNow } from "../../lib/useNow";
import { nextMilestone, type Auction } from "./auctions";

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
