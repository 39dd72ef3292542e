import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type components } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { Term, Terms } from "../../components/Terms";
import { currencyScale, formatMoney } from "../../lib/decimal";
import { formatDate, humanize } from "../../lib/format";

type Flow = components["schemas"]["Cashflow"];

/** A bond's every coupon and its redemption, per unit, with the conventions behind them. */
export function CashflowsSection({ instrumentId }: { instrumentId: string }) {
  const schedule = useQuery({
    queryKey: ["instruments", "cashflows", instrumentId],
    queryFn: () =>
      unwrap(api.GET("/api/v1/instruments/{instrument_id}/cashflows", { params: { path: { instrument_id: instrumentId } } })),
  });
  return (
    <Panel title="Cash-flow schedule">
      <QueryState query={schedule} isEmpty={(data) => data.flows.length === 0} empty="No scheduled payments.">
        {(data) => {
          const money = (minor: number) => formatMoney(minor, currencyScale(data.currency), data.currency);
          const { conventions, calendar } = data;
          const columns: Column<Flow>[] = [
            { header: "Kind", cell: (flow) => humanize(flow.kind) },
            {
              header: "Accrual period",
              cell: (flow) => (flow.accrual_start ? `${formatDate(flow.accrual_start)} – ${formatDate(flow.accrual_end)}` : "—"),
            },
            { header: "Scheduled", cell: (flow) => formatDate(flow.scheduled_date) },
            {
              header: "Payment date",
              cell: (flow) =>
                flow.payment_date ? formatDate(flow.payment_date) : <span className="muted">Not known yet (no holiday data)</span>,
            },
            { header: "Per unit", num: true, cell: (flow) => money(flow.amount_per_unit) },
          ];
          return (
            <>
              <Terms>
                <Term label="Conventions">{conventions.name}</Term>
                <Term label="Day count">{conventions.day_count}</Term>
                <Term label="Payment calendar">
                  {conventions.payment_calendar} ({humanize(conventions.payment_convention)})
                </Term>
                <Term label="Holiday data">
                  {calendar.first_year === null ? "None" : `${calendar.first_year}–${calendar.last_year}`}
                  {calendar.provisional_years.length > 0 && ` (provisional: ${calendar.provisional_years.join(", ")})`}
                </Term>
                <Term label="Total per unit">{money(data.total_per_unit)}</Term>
              </Terms>
              <DataTable
                columns={columns}
                rows={data.flows}
                rowKey={(flow) => `${flow.kind}-${flow.scheduled_date}`}
                caption={`Payments per unit of ${money(data.face_value)} face value`}
              />
            </>
          );
        }}
      </QueryState>
    </Panel>
  );
}
