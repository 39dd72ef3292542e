import { useQuery } from "@tanstack/react-query";
import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { currencyScale, formatMoney, formatPrice, formatQuantity } from "../../lib/decimal";
import { formatDate, formatDateTime, tickDigits } from "../../lib/format";
import { useTokenized } from "../chain/queries";
import { SettlementCell } from "../chain/SettlementCell";
import { myTradesQuery, type Instrument, type MyTrade } from "./queries";
import styles from "./Trade.module.css";

/** A fill's amount in its currency. */
const money = (fill: MyTrade, minor: number | bigint) => formatMoney(minor, currencyScale(fill.currency), fill.currency);

/** What the buyer pays or the seller receives: the dirty amount and the fee. */
const settlement = (fill: MyTrade) => BigInt(fill.dirty_amount) + (fill.side === "buy" ? 1n : -1n) * BigInt(fill.fee);

/** My fills in this instrument, newest first; refreshed as the `fills` channel reports them. */
export function MyFills({ instrument }: { instrument: Instrument }) {
  const fills = useQuery(myTradesQuery(instrument.id));
  const tokenized = useTokenized(instrument.id);
  const digits = tickDigits(instrument.tick_size);
  const columns: Column<MyTrade>[] = [
    { header: "Time", cell: (fill) => formatDateTime(fill.created_at) },
    {
      header: "Side",
      className: (fill) => (fill.side === "buy" ? "buy-text" : "sell-text"),
      cell: (fill) => (
        <>
          {fill.side === "buy" ? "Bought" : "Sold"}{" "}
          <span className="muted">
            ({fill.liquidity}
            {fill.venue === "rfq" ? ", RFQ" : ""})
          </span>
        </>
      ),
    },
    { header: "Price", num: true, cell: (fill) => formatPrice(fill.price, digits) },
    { header: "Units", num: true, cell: (fill) => formatQuantity(fill.quantity) },
    { header: "Clean", num: true, cell: (fill) => money(fill, fill.clean_amount) },
    { header: "Accrued", num: true, cell: (fill) => money(fill, fill.accrued_interest) },
    { header: "Fee", num: true, cell: (fill) => money(fill, fill.fee) },
    { header: "Settlement", num: true, cell: (fill) => money(fill, settlement(fill)) },
    { header: "Settles", cell: (fill) => formatDate(fill.settlement_date) },
  ];
  if (tokenized) columns.push({ header: "On chain", cell: (fill) => <SettlementCell tradeId={fill.id} tradedAt={fill.created_at} /> });
  return (
    <Panel title="My fills" className={styles.fillsPanel}>
      <QueryState query={fills} isEmpty={(list) => list.length === 0} empty="You have not traded this bond yet.">
        {(list) => <DataTable columns={columns} rows={list} rowKey={(fill) => fill.id} className={styles.compact} />}
      </QueryState>
    </Panel>
  );
}
