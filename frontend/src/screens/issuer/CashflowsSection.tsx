import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { QueryState } from "../../components/States";
import { formatMoney } from "../../lib/decimal";
import adminStyles from "../admin/admin.module.css";
import { formatDate, humanize } from "../admin/format";
import { currencyScale } from "../admin/money";
import { Term } from "../admin/Term";

/** A bond's every coupon and its redemption, per unit, with the conventions behind them. */
export function CashflowsSection({ instrumentId }: { instrumentId: string }) {
  const schedule = useQuery({
    queryKey: ["instruments", "cashflows", instrumentId],
    queryFn: () =>
      unwrap(api.GET("/api/v1/instruments/{instrument_id}/cashflows", { params: { path: { instrument_id: instrumentId } } })),
  });
  return (
    <section className={`panel ${adminStyles.section}`} aria-labelledby="cashflows-title">
      <h2 id="cashflows-title">Cash-flow schedule</h2>
      <QueryState query={schedule} isEmpty={(data) => data.flows.length === 0} empty="No scheduled payments.">
        {(data) => {
          const scale = currencyScale(data.currency);
          const { conventions, calendar } = data;
          return (
            <>
              <dl className={adminStyles.terms}>
                <Term label="Conventions">{conventions.name}</Term>
                <Term label="Day count">{conventions.day_count}</Term>
                <Term label="Payment calendar">
                  {conventions.payment_calendar} ({humanize(conventions.payment_convention)})
                </Term>
                <Term label="Holiday data">
                  {calendar.first_year === null ? "None" : `${calendar.first_year}–${calendar.last_year}`}
                  {calendar.provisional_years.length > 0 && ` (provisional: ${calendar.provisional_years.join(", ")})`}
                </Term>
                <Term label="Total per unit">{formatMoney(data.total_per_unit, scale, data.currency)}</Term>
              </dl>
              <div className="table-scroll">
                <table>
                  <caption className={adminStyles.caption}>Payments per unit of {formatMoney(data.face_value, scale, data.currency)} face value</caption>
                  <thead>
                    <tr>
                      <th scope="col">Kind</th>
                      <th scope="col">Accrual period</th>
                      <th scope="col">Scheduled</th>
                      <th scope="col">Payment date</th>
                      <th scope="col" className="num">Per unit</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.flows.map((flow) => (
                      <tr key={`${flow.kind}-${flow.scheduled_date}`}>
                        <td>{humanize(flow.kind)}</td>
                        <td>{flow.accrual_start ? `${formatDate(flow.accrual_start)} – ${formatDate(flow.accrual_end)}` : "—"}</td>
                        <td>{formatDate(flow.scheduled_date)}</td>
                        <td>{flow.payment_date ? formatDate(flow.payment_date) : <span className="muted">Not known yet (no holiday data)</span>}</td>
                        <td className="num">{formatMoney(flow.amount_per_unit, scale, data.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </QueryState>
    </section>
  );
}
