import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { DataTable, Table, type Column } from "../../components/DataTable";
import { PagedList } from "../../components/Pager";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { StatusBadge, type Tone } from "../../components/StatusBadge";
import { UserName } from "../../components/UserName";
import { currencyScale, formatMoney, formatQuantity } from "../../lib/decimal";
import { formatDate, formatDateTime, humanize } from "../../lib/format";
import { usePagedQuery } from "../../lib/paging";
import { useUserDirectory } from "../../lib/users";
import { useHolders } from "./HoldersSection";

type Action = components["schemas"]["ActionOut"];
type ActionStatus = components["schemas"]["ActionStatus"];
type Entitlement = components["schemas"]["EntitlementOut"];

const TONES: Record<ActionStatus, Tone> = {
  scheduled: "neutral",
  held: "warn",
  entitled: "info",
  paid: "good",
  defaulted: "bad",
  cancelled: "neutral",
};

const HEADINGS = [
  { header: "Kind" },
  { header: "Status" },
  { header: "Record date" },
  { header: "Payment date" },
  { header: "Per unit", num: true },
  { header: "Holders", num: true },
  { header: "Gross", num: true },
  { header: "Tax withheld", num: true },
  { header: "Payments" },
];

/** A bond's coupons, redemption and calls by payment date, each opening onto its payments. */
export function CorporateActionsSection({ instrumentId }: { instrumentId: string }) {
  const [open, setOpen] = useState<string | null>(null);
  const { query: actions, paging } = usePagedQuery({
    queryKey: ["corporate-actions"],
    filters: { instrumentId },
    fetchPage: (cursor) =>
      unwrap(api.GET("/api/v1/corporate-actions", { params: { query: { instrument_id: instrumentId, limit: 50, cursor } } })),
  });
  return (
    <Panel title="Corporate actions">
      <PagedList query={actions} paging={paging} label="Corporate actions" empty="No corporate actions yet.">
        {(items) => (
          <Table headings={HEADINGS} caption="By payment date; holders and totals once the register is read">
            <tbody>
              {items.map((action) => {
                const money = (minor: number | null) => formatMoney(minor, currencyScale(action.currency), action.currency);
                const expanded = open === action.id;
                return (
                  <Fragment key={action.id}>
                    <tr>
                      <td>{humanize(action.kind)}</td>
                      <td>
                        <StatusBadge status={action.status} tone={TONES[action.status]} />
                        {action.status_reason && <div className="muted">{action.status_reason}</div>}
                      </td>
                      <td>{formatDate(action.record_date)}</td>
                      <td>{formatDate(action.payment_date)}</td>
                      <td className="num">{money(action.amount_per_unit)}</td>
                      <td className="num">{formatQuantity(action.holders)}</td>
                      <td className="num">{money(action.gross)}</td>
                      <td className="num">{money(action.tax)}</td>
                      <td>
                        <button
                          type="button"
                          aria-expanded={expanded}
                          aria-controls={`payments-${action.id}`}
                          onClick={() => setOpen(expanded ? null : action.id)}
                        >
                          {expanded ? "Hide payments" : "Show payments"}
                        </button>
                      </td>
                    </tr>
                    {expanded && (
                      <tr id={`payments-${action.id}`}>
                        <td colSpan={HEADINGS.length}>
                          <ActionPayments action={action} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </Table>
        )}
      </PagedList>
    </Panel>
  );
}

/** What each holder is owed by one action, and what was paid (GET /corporate-actions/{id}). */
function ActionPayments({ action }: { action: Action }) {
  const detail = useQuery({
    queryKey: ["corporate-actions", "detail", action.id],
    queryFn: () => unwrap(api.GET("/api/v1/corporate-actions/{action_id}", { params: { path: { action_id: action.id } } })),
  });
  // Holders' names: the current register's (the issuer's view), else the user directory (admins').
  const register = useHolders(action.instrument_id);
  const names = new Map(register.data?.holders.map((holder) => [holder.user_id, holder.display_name]));
  const directory = useUserDirectory(detail.data?.entitlements.map((e) => e.user_id) ?? []);
  const money = (minor: number) => formatMoney(minor, currencyScale(action.currency), action.currency);
  return (
    <QueryState
      query={detail}
      isEmpty={(data) => data.entitlements.length === 0}
      empty={action.status === "scheduled" ? "Entitlements are fixed when the register is read on the record date." : "Nobody held the bond on the record date."}
    >
      {(data) => {
        const paid = new Map(data.payments.map((payment) => [payment.user_id, payment]));
        const columns: Column<Entitlement>[] = [
          {
            header: "Holder",
            cell: (entitlement) =>
              names.has(entitlement.user_id) ? (
                <span title={entitlement.user_id}>{names.get(entitlement.user_id)}</span>
              ) : (
                <UserName id={entitlement.user_id} directory={directory.data} />
              ),
          },
          { header: "Units", num: true, cell: (entitlement) => formatQuantity(entitlement.units) },
          { header: "Gross", num: true, cell: (entitlement) => money(entitlement.gross) },
          { header: "Tax", num: true, cell: (entitlement) => money(entitlement.tax) },
          { header: "Net", num: true, cell: (entitlement) => money(entitlement.net) },
          {
            header: "Paid",
            cell: (entitlement) => {
              const payment = paid.get(entitlement.user_id);
              return payment ? formatDateTime(payment.paid_at) : <span className="muted">Not yet</span>;
            },
          },
        ];
        return (
          <DataTable
            columns={columns}
            rows={data.entitlements}
            rowKey={(entitlement) => entitlement.user_id}
            caption="Entitlements and payments"
            scroll={false}
          />
        );
      }}
    </QueryState>
  );
}
