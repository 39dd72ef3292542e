import { Table } from "../../components/DataTable";
import { InstrumentName } from "../../components/InstrumentName";
import { QueryState } from "../../components/States";
import { formatMoney, formatQuantity } from "../../lib/decimal";
import { Pnl } from "./Pnl";
import { usePnl, type PnlRow, type PnlTotals } from "./queries";

const HEADINGS = [
  { header: "Instrument" },
  { header: "Units", num: true },
  { header: "Cost", num: true },
  { header: "Unrealised", num: true },
  { header: "Realised", num: true },
  { header: "Fees", num: true },
  { header: "Realised net", num: true },
  { header: "Coupons", num: true },
  { header: "Redemptions", num: true },
  { header: "Tax withheld", num: true },
];

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
          <Table headings={HEADINGS} labelledBy="pnl-heading">
            <tbody>
              {data.items.map((row) => (
                <tr key={row.instrument_id}>
                  <th scope="row" className="row-header">
                    <InstrumentName id={row.instrument_id} name={row.name} isin={row.isin} />
                  </th>
                  <td className="num">{formatQuantity(row.units)}</td>
                  <td className="num">{formatMoney(row.cost, row.scale, row.currency)}</td>
                  <PnlCells figures={row} />
                </tr>
              ))}
            </tbody>
            <tfoot>
              {data.totals.map((totals) => (
                <tr key={totals.currency}>
                  <th scope="row" colSpan={3}>
                    Total ({totals.currency})
                  </th>
                  <PnlCells figures={totals} />
                </tr>
              ))}
            </tfoot>
          </Table>
        )}
      </QueryState>
    </section>
  );
}

/** The P&L figures an instrument's row and a currency's totals share, in one currency. */
function PnlCells({ figures }: { figures: PnlRow | PnlTotals }) {
  const { currency, scale } = figures;
  const money = (minor: number) => formatMoney(minor, scale, currency);
  const pnl = (minor: number | null) => <Pnl minor={minor} scale={scale} currency={currency} />;
  return (
    <>
      <td className="num">{pnl(figures.unrealised_pnl)}</td>
      <td className="num">{pnl(figures.realised_pnl)}</td>
      <td className="num">{money(figures.realised_fees)}</td>
      <td className="num">{pnl(figures.realised_pnl_net)}</td>
      <td className="num">{money(figures.coupons)}</td>
      <td className="num">{money(figures.redemptions)}</td>
      <td className="num">{money(figures.tax_withheld)}</td>
    </>
  );
}
