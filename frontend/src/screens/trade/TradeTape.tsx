import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { formatTime, tickDigits } from "../../lib/format";
import type { TapeTrade } from "../../lib/ws";
import { useTape, type Instrument } from "./queries";
import styles from "./Trade.module.css";

/** The public tape, newest first, live. */
export function TradeTape({ instrument }: { instrument: Instrument }) {
  const tape = useTape(instrument.id);
  const digits = tickDigits(instrument.tick_size);
  const columns: Column<TapeTrade>[] = [
    { header: "Time", cell: (trade) => formatTime(trade.created_at) },
    {
      header: "Price",
      num: true,
      className: (trade) => (trade.aggressor_side === "buy" ? "buy-text" : "sell-text"),
      cell: (trade) => (
        <>
          <span className="sr-only">{trade.aggressor_side === "buy" ? "Bought " : "Sold "}</span>
          {formatPrice(trade.price, digits)}
          {trade.venue === "rfq" && (
            <small className="muted" title="Traded on an accepted RFQ quote">
              {" "}
              RFQ
            </small>
          )}
        </>
      ),
    },
    { header: "Units", num: true, cell: (trade) => formatQuantity(trade.quantity) },
  ];
  return (
    <Panel title="Trades" className={styles.tapePanel}>
      <QueryState query={tape} isEmpty={(trades) => trades.length === 0} empty="No trades yet.">
        {(trades) => (
          <DataTable
            columns={columns}
            rows={trades}
            rowKey={(trade) => trade.id}
            className={styles.compact}
            scrollClassName={styles.tapeScroll}
          />
        )}
      </QueryState>
    </Panel>
  );
}
