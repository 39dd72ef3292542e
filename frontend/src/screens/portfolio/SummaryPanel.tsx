import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { Table } from "../../components/DataTable";
import { QueryState } from "../../components/States";
import { formatMoney, formatPercent } from "../../lib/decimal";
import { formatDateTime } from "../../lib/format";
import { Pnl } from "./Pnl";
import styles from "./Portfolio.module.css";
import { usePortfolioSummary, type Cash, type Totals } from "./queries";

/** The portfolio's totals per currency and the cash table. */
export function SummaryPanel() {
  const summary = usePortfolioSummary();
  return (
    <QueryState query={summary}>
      {(data) => (
        <>
          {data.totals.map((totals) => (
            <TotalsCard key={totals.currency} totals={totals} />
          ))}
          <p className={`muted ${styles.asOf}`}>Valued {formatDateTime(data.as_of, { seconds: true })}, at each bond's mark.</p>
          <CashTable cash={data.cash} />
        </>
      )}
    </QueryState>
  );
}

/** One currency's values, P&L and risk figures. */
function TotalsCard({ totals }: { totals: Totals }) {
  const { currency, scale } = totals;
  const money = (minor: number) => formatMoney(minor, scale, currency);
  return (
    <section className="panel" aria-label={`Totals in ${currency}`}>
      <dl className={styles.stats}>
        <Stat label="Total value">{money(totals.total_value)}</Stat>
        <Stat label="Market value">{money(totals.market_value)}</Stat>
        <Stat label="Accrued interest">{money(totals.accrued_interest)}</Stat>
        <Stat label="Cash">{money(totals.cash)}</Stat>
        <Stat label="Unrealised P&L">
          <Pnl minor={totals.unrealised_pnl} scale={scale} currency={currency} />
        </Stat>
        <Stat label="Realised P&L">
          <Pnl minor={totals.realised_pnl} scale={scale} currency={currency} />
        </Stat>
        <Stat label="Fees paid">{money(totals.fees)}</Stat>
        <Stat label="Yield">{formatPercent(totals.yield_percent)}</Stat>
        <Stat label="Modified duration">{totals.modified_duration?.toFixed(2) ?? "—"}</Stat>
        <Stat label="DV01">{totals.dv01.toFixed(2)}</Stat>
      </dl>
      {totals.unvalued_positions > 0 && (
        <p className="notice">
          {totals.unvalued_positions === 1 ? "One position has" : `${totals.unvalued_positions} positions have`} no mark
          yet (no trade and no reference curve), so they are left out of these values.
        </p>
      )}
    </section>
  );
}

/** A labelled figure. */
function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className={styles.stat}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const CASH_HEADINGS = [
  { header: "Currency" },
  { header: "Available", num: true },
  { header: "In open orders", num: true },
  { header: "Escrow / withdrawing", num: true },
  { header: "Total", num: true },
];

/** Cash by bucket in each currency. */
function CashTable({ cash }: { cash: Cash[] }) {
  return (
    <section aria-labelledby="cash-heading">
      <h2 id="cash-heading">Cash</h2>
      <Table headings={CASH_HEADINGS} labelledBy="cash-heading">
        <tbody>
          {cash.length === 0 && (
            <tr>
              <td colSpan={CASH_HEADINGS.length} className="muted">
                No cash yet: add money on the <Link to="/funds">Funds</Link> page.
              </td>
            </tr>
          )}
          {cash.map((row) => (
            <tr key={row.currency}>
              <th scope="row" className="row-header">
                {row.currency}
              </th>
              <td className="num">{formatMoney(row.available, row.scale, row.currency)}</td>
              <td className="num">{formatMoney(row.locked, row.scale, row.currency)}</td>
              <td className="num">{formatMoney(row.other, row.scale, row.currency)}</td>
              <td className="num">{formatMoney(row.total, row.scale, row.currency)}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}
