import { errorMessage } from "../../api/problem";
import { shortHex } from "./chain";
import { useSettlement, type Settlement } from "./queries";

/** What a settlement's status reads as in a table. */
const LABELS: Record<Settlement["status"], string> = {
  pending: "Settling",
  submitted: "Settling",
  settled: "Settled",
  failed: "Failed",
  written_off: "Written off",
  unwound: "Unwound",
};

/** The tooltip of a settlement: the transaction of a settled one, the last error of a failed one. */
function tooltip(settlement: Settlement): string | undefined {
  if (settlement.status === "settled") return settlement.tx_hash ? shortHex(settlement.tx_hash) : undefined;
  if (settlement.status === "unwound") return "The chain never delivered: the trade was reversed in the ledger";
  if (settlement.status === "failed" || settlement.status === "written_off") return settlement.last_error ?? undefined;
  return settlement.attempts > 1 ? `Attempt ${settlement.attempts}` : undefined;
}

/**
 * A trade's token leg on chain, in a cell: "Settled" (the transaction in its tooltip), "Settling",
 * "Failed", "Unwound"; "—" for a trade without one.
 */
export function SettlementCell({ tradeId, tradedAt }: { tradeId: string; tradedAt?: string }) {
  const settlement = useSettlement(tradeId, tradedAt);
  if (settlement.isPending) return <span className="muted">…</span>;
  if (settlement.isError) {
    return (
      <span className="muted" title={errorMessage(settlement.error)}>
        ?
      </span>
    );
  }
  if (!settlement.data) return <span className="muted">—</span>;
  const { status } = settlement.data;
  const className = status === "failed" || status === "written_off" || status === "unwound" ? "sell-text" : status === "settled" ? undefined : "muted";
  return (
    <span className={className} title={tooltip(settlement.data)}>
      {LABELS[status]}
    </span>
  );
}
