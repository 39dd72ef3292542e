import type { components } from "../../../api/client";
import { formatMoney, formatPrice, formatQuantity } from "../../../lib/decimal";
import { useCurrencyScale } from "./currency";
import { DownloadButton } from "./DownloadButton";
import { formatDate, formatDateTime, humanize } from "./format";
import { InstrumentById } from "./InstrumentCell";
import { SideLabel } from "./SideLabel";

export type Trade = components["schemas"]["TradeOut"];

/** My fills with their amounts, settlement and contract note. */
export function TradesTable({ trades, label }: { trades: Trade[]; label: string }) {
  const scaleOf = useCurrencyScale();
  return (
    <div className="table-scroll">
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Instrument</th>
            <th scope="col">Side</th>
            <th scope="col">Liquidity</th>
            <th scope="col" className="num">Price</th>
            <th scope="col" className="num">Quantity</th>
            <th scope="col" className="num">Accrued</th>
            <th scope="col" className="num">Dirty amount</th>
            <th scope="col" className="num">Fees</th>
            <th scope="col">Settles</th>
            <th scope="col">Documents</th>
          </tr>
        </thead>
        <tbody>
          {trades.map((trade) => {
            const money = (minor: number) => formatMoney(minor, scaleOf(trade.currency), trade.currency);
            return (
              <tr key={trade.id}>
                <td>{formatDateTime(trade.created_at)}</td>
                <td>
                  <InstrumentById id={trade.instrument_id} />
                </td>
                <td>
                  <SideLabel side={trade.side} />
                </td>
                <td>{humanize(trade.liquidity)}</td>
                <td className="num">{formatPrice(trade.price, 4)}</td>
                <td className="num">{formatQuantity(trade.quantity)}</td>
                <td className="num">{money(trade.accrued_interest)}</td>
                <td className="num">{money(trade.dirty_amount)}</td>
                <td className="num">{money(trade.fee)}</td>
                <td>{formatDate(trade.settlement_date)}</td>
                <td>
                  <DownloadButton
                    path={`/api/v1/trades/${trade.id}/contract-note`}
                    filename={`contract-note-${trade.id}.pdf`}
                  >
                    Contract note
                  </DownloadButton>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
