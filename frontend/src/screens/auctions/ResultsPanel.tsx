import { useQuery } from "@tanstack/react-query";
import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { Term, Terms } from "../../components/Terms";
import { currencyScale, formatMoney, formatPrice, formatQuantity } from "../../lib/decimal";
import { formatCoupon, formatDateTime } from "../../lib/format";
import { allocationsQuery, resultsQuery, type Allocation, type Auction } from "./auctions";

/** A cleared auction's published results, and my allocation (the issuer's and admins': every bid's). */
export function ResultsPanel({ auction, manages }: { auction: Auction; manages: boolean }) {
  const results = useQuery(resultsQuery(auction.id, true));
  const allocations = useQuery(allocationsQuery(auction.id, true));
  const scale = currencyScale(auction.currency);
  const money = (minor: number) => formatMoney(minor, scale, auction.currency);
  const quote = (value: string | null) => (value === null ? "—" : auction.basis === "price" ? formatPrice(value) : `${formatPrice(value)}%`);

  const columns: Column<Allocation>[] = [
    { header: "Bid", rowHeader: true, cell: (row) => `#${row.bid_number}` },
    { header: "Requested", num: true, cell: (row) => formatQuantity(row.requested) },
    { header: "Allotted", num: true, cell: (row) => formatQuantity(row.quantity) },
    { header: "Price", num: true, cell: (row) => formatPrice(row.price) },
    ...(auction.basis === "yield" ? [{ header: "Yield", num: true, cell: (row: Allocation) => quote(row.yield_percent) }] : []),
    { header: "Amount", num: true, cell: (row) => money(row.amount) },
    { header: "Refund", num: true, cell: (row) => money(row.refund) },
    { header: "Settled", cell: (row) => (row.settled_at ? formatDateTime(row.settled_at) : "Not yet") },
  ];

  return (
    <>
      <Panel title="Results">
        <QueryState query={results}>
          {(data) => (
            <Terms>
              <Term label="Cut-off">{quote(data.cut_off)}</Term>
              <Term label="Weighted average">{quote(data.weighted_average)}</Term>
              <Term label="Partial allotment">{data.partial_allotment === null ? "—" : `${data.partial_allotment}%`}</Term>
              <Term label="Bid-to-cover">{data.bid_to_cover}</Term>
              <Term label="Total bid">{formatQuantity(data.total_bid)} units</Term>
              <Term label="Allotted">
                {formatQuantity(data.total_allotted)} of {formatQuantity(data.offering)} units
                {data.undersubscribed && " (undersubscribed)"}
              </Term>
              <Term label="Non-competitive allotted">{formatQuantity(data.non_competitive_allotted)} units</Term>
              <Term label="Amount raised">{money(data.amount_raised)}</Term>
              {data.coupon_rate && <Term label="Coupon set">{formatCoupon(data.coupon_rate)}</Term>}
              <Term label="Cleared">{formatDateTime(data.cleared_at)}</Term>
              <Term label="Settled">{data.settled_at ? formatDateTime(data.settled_at) : "Not yet"}</Term>
            </Terms>
          )}
        </QueryState>
      </Panel>
      <Panel title={manages ? "Allocations" : "My allocation"}>
        <QueryState
          query={allocations}
          isEmpty={(rows) => rows.length === 0}
          empty={manages ? "Nothing was allotted." : "You had no bids in this auction."}
        >
          {(rows) => (
            <DataTable label={manages ? "Allocations" : "My allocation"} columns={columns} rows={rows} rowKey={(row) => row.bid_id} />
          )}
        </QueryState>
      </Panel>
    </>
  );
}
