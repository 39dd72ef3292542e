import { QueryState } from "../../components/States";
import { formatMoney, formatQuantity } from "../../lib/decimal";
import { InstrumentName } from "./shared/InstrumentCell";
import { Pnl } from "./shared/Pnl";
import shared from "./shared/shared.module.css";
import { usePnl, type PnlRow, type PnlTotals } from "./queries";

/** Realised and unrealised P&L, coupons and redemptions per instrument, with totals per currency. */
export function PnlPanel() {
  const pnl = usePnl();
  return (
    <section aria-labelledby="pnl-heading">
      <h2 id="pnl-heading">Profit and loss</h2>
      <QueryState
        query={pnl}
        isEmpty={(data) => data.items.length === 0}
        empty="No P&L yet: it starts with your first trade."
      >
        {(data) => (
          <div className="table-scroll">
            <table aria-labelledby="pnl-heading">
              <thead>
                <tr>
                  <th scope="col">Instrument</th>
                  <th scope="col" className="num">Units</th>
                  <th scope="col" className="num">Cost</th>
                  <th scope="col" className="num">Unrealised</th>
                  <th scope="col" className="num">Realised</th>
                  <th scope="col" className="num">Fees</th>
                  <th scope="col" className="num">Realised net</th>
                  <th scope="col" className="num">Coupons</th>
                  <th scope="col" className="num">Redemptions</th>
                  <th scope="col" className="num">Tax withheld</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((row) => (
                  <PnlInstrumentRow key={row.instrument_id} row={row} />
                ))}
              </tbody>
              <tfoot>
                {data.totals.map((totals) => (
                  <PnlTotalsRow key={totals.currency} totals={totals} />
                ))}
              </tfoot>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}

/** One instrument's P&L. */
function PnlInstrumentRow({ row }: { row: PnlRow }) {
  const { currency, scale } = row;
  return (
    <tr>
      <th scope="row" className={shared.rowHeader}>
        <InstrumentName id={row.instrument_id} name={row.name} isin={row.isin} />
      </th>
      <td className="num">{formatQuantity(row.units)}</td>
      <td className="num">{formatMoney(row.cost, scale, currency)}</td>
      <td className="num">
        <Pnl minor={row.unrealised_pnl} scale={scale} currency={currency} />
      </td>
      <td className="num">
        <Pnl minor={row.realised_pnl} scale={scale} currency={currency} />
      </td>
      <td className="num">{formatMoney(row.realised_fees, scale, currency)}</td>
      <td className="num">
        <Pnl minor={row.realised_pnl_net} scale={scale} currency={currency} />
      </td>
      <td className="num">{formatMoney(row.coupons, scale, currency)}</td>
      <td className="num">{formatMoney(row.redemptions, scale, currency)}</td>
      <td className="num">{formatMoney(row.tax_withheld, scale, currency)}</td>
    </tr>
  );
}

/** The totals in one currency. */
function PnlTotalsRow({ totals }: { totals: PnlTotals }) {
  const { currency, scale } = totals;
  return (
    <tr>
      <th scope="row" colSpan={3}>
        Total ({currency})
      </th>
      <td className="num">
        <Pnl minor={totals.unrealised_pnl} scale={scale} currency={currency} />
      </td>
      <td className="num">
        <Pnl minor={totals.realised_pnl} scale={scale} currency={currency} />
      </td>
      <td className="num">{formatMoney(totals.realised_fees, scale, currency)}</td>
      <td className="num">
        <Pnl minor={totals.realised_pnl_net} scale={scale} currency={currency} />
      </td>
      <td className="num">{formatMoney(totals.coupons, scale, currency)}</td>
      <td className="num">{formatMoney(totals.redemptions, scale, currency)}</td>
      <td className="num">{formatMoney(totals.tax_withheld, scale, currency)}</td>
    </tr>
  );
}
