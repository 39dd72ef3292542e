import { useState } from "react";
import { Field } from "../../components/Field";
import { QueryState } from "../../components/States";
import { formatMoney, formatQuantity } from "../../lib/decimal";
import { InstrumentName } from "../../components/InstrumentName";
import { addDays, today } from "../../lib/dates";
import { formatDate, formatMonth, humanize } from "../../lib/format";
import { groupByMonth, HORIZONS, type MonthOfCashflows } from "./cashflows";
import { useCashflows } from "./queries";
import styles from "./Portfolio.module.css";

const COLUMNS = 6;

/** Upcoming coupons and redemptions of my holdings, month by month, over a chosen horizon. */
export function CashflowCalendar() {
  const [days, setDays] = useState<number>(365);
  const cashflows = useCashflows(addDays(today(), days));
  return (
    <section aria-labelledby="cashflows-heading">
      <div className={styles.sectionHeader}>
        <h2 id="cashflows-heading">Upcoming cash flows</h2>
        <Field label="Horizon">
          <select value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {HORIZONS.map((horizon) => (
              <option key={horizon.days} value={horizon.days}>
                {horizon.label}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <QueryState
        query={cashflows}
        isEmpty={(data) => data.items.length === 0}
        empty="No coupons or redemptions due in this period. Buy a bond, or look further ahead."
      >
        {(data) => (
          <div className="table-scroll">
            <table aria-labelledby="cashflows-heading" aria-describedby="cashflows-period">
              <thead>
                <tr>
                  <th scope="col">Payment date</th>
                  <th scope="col">Instrument</th>
                  <th scope="col">Kind</th>
                  <th scope="col" className="num">Units</th>
                  <th scope="col" className="num">Per unit</th>
                  <th scope="col" className="num">Expected</th>
                </tr>
              </thead>
              {groupByMonth(data.items).map((group) => (
                <MonthRows key={group.month} group={group} />
              ))}
              <tfoot>
                {data.totals.map((total) => (
                  <tr key={total.currency}>
                    <th scope="row" colSpan={COLUMNS - 1}>
                      Total expected ({total.currency})
                    </th>
                    <td className="num">{formatMoney(total.expected_amount, total.scale, total.currency)}</td>
                  </tr>
                ))}
              </tfoot>
            </table>
            <p id="cashflows-period" className={`muted ${styles.tableNote}`}>
              Payments from {formatDate(data.from)} to {formatDate(data.until)} for the units you hold now, gross of
              tax.
            </p>
          </div>
        )}
      </QueryState>
    </section>
  );
}

/** One month: a heading row with its sum, then its payments. */
function MonthRows({ group }: { group: MonthOfCashflows }) {
  const sums = group.sums.map((sum) => formatMoney(sum.minor, sum.scale, sum.currency)).join(" + ");
  return (
    <tbody>
      <tr className={styles.monthRow}>
        <th scope="rowgroup" colSpan={COLUMNS - 1}>
          {formatMonth(`${group.month}-01`)}
        </th>
        <td className="num">{sums}</td>
      </tr>
      {group.items.map((item) => (
        <tr key={`${item.instrument_id}:${item.kind}:${item.payment_date}`}>
          <td>{formatDate(item.payment_date)}</td>
          <td>
            <InstrumentName id={item.instrument_id} name={item.name} isin={item.isin} />
          </td>
          <td>
            <span className="badge">{humanize(item.kind)}</span>
          </td>
          <td className="num">{formatQuantity(item.units)}</td>
          <td className="num">{formatMoney(item.amount_per_unit, item.scale, item.currency)}</td>
          <td className="num">{formatMoney(item.expected_amount, item.scale, item.currency)}</td>
        </tr>
      ))}
    </tbody>
  );
}
