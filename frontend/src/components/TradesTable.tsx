import { Link } from "@tanstack/react-router";
import type { components } from "../api/client";
import { useCurrencyScale } from "../lib/balances";
import { formatMoney, formatPrice, formatQuantity } from "../lib/decimal";
import { formatDate, formatDateTime, humanize } from "../lib/format";
import { DataTable, type Column } from "./DataTable";
import { DownloadButton } from "./DownloadButton";
import { InstrumentById } from "./InstrumentName";
import { SideLabel } from "./SideLabel";

export type Trade = components["schemas"]["TradeOut"];

/** My fills (on the order book, or on an accepted RFQ quote) with their amounts, settlement and contract note. */
export function TradesTable({ trades, label }: { trades: Trade[]; label: string }) {
  const scaleOf = useCurrencyScale();
  const money = (trade: Trade, minor: number) => formatMoney(minor, scaleOf(trade.currency), trade.currency);
  const columns: Column<Trade>[] = [
    { header: "Time", cell: (trade) => formatDateTime(trade.created_at, { seconds: true }) },
    { header: "Instrument", cell: (trade) => <InstrumentById id={trade.instrument_id} /> },
    { header: "Side", cell: (trade) => <SideLabel side={trade.side} /> },
    {
      header: "Venue",
      cell: (trade) =>
        trade.venue === "rfq" && trade.rfq_id ? (
          <Link to="/rfqs/$rfqId" params={{ rfqId: trade.rfq_id }} title="Traded on an accepted quote">
            RFQ
          </Link>
        ) : (
          "Order book"
        ),
    },
    { header: "Liquidity", cell: (trade) => humanize(trade.liquidity) },
    { header: "Price", num: true, cell: (trade) => formatPrice(trade.price, 4) },
    { header: "Quantity", num: true, cell: (trade) => formatQuantity(trade.quantity) },
    { header: "Accrued", num: true, cell: (trade) => money(trade, trade.accrued_interest) },
    { header: "Dirty amount", num: true, cell: (trade) => money(trade, trade.dirty_amount) },
    { header: "Fees", num: true, cell: (trade) => money(trade, trade.fee) },
    { header: "Settles", cell: (trade) => formatDate(trade.settlement_date) },
    {
      header: "Documents",
      cell: (trade) => (
        <DownloadButton path={`/api/v1/trades/${trade.id}/contract-note`} filename={`contract-note-${trade.id}.pdf`}>
          Contract note
        </DownloadButton>
      ),
    },
  ];
  return <DataTable columns={columns} rows={trades} rowKey={(trade) => trade.id} label={label} />;
}
