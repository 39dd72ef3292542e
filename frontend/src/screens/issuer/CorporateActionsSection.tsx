import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { QueryState } from "../../components/States";
import { formatMoney, formatQuantity } from "../../lib/decimal";
import { formatDate, formatDateTime, humanize } from "../admin/format";
import { currencyScale } from "../admin/money";
import { Pager, useCursorPaging } from "../admin/paging";
import { StatusBadge, type Tone } from "../admin/StatusBadge";
import { UserName, useUserDirectory } from "../admin/users";
import { useHolders } from "./HoldersSection";
import adminStyles from "../admin/admin.module.css";

type Action = components["schemas"]["ActionOut"];
type ActionStatus = components["schemas"]["ActionStatus"];

const TONES: Record<ActionStatus, Tone> = {
  scheduled: "neutral",
  entitled: "info",
  paid: "good",
  defaulted: "bad",
  cancelled: "neutral",
};

/** A bond's coupons, redemption and calls by payment date, each opening onto its payments. */
export function CorporateActionsSection({ instrumentId }: { instrumentId: string }) {
  const paging = useCursorPaging(instrumentId);
  const [open, setOpen] = useState<string | null>(null);
  const actions = useQuery({
    queryKey: ["corporate-actions", { instrumentId, cursor: paging.cursor }],
    queryFn: () =>
      unwrap(api.GET("/api/v1/corporate-actions", { params: { query: { instrument_id: instrumentId, limit: 50, cursor: paging.cursor } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <section className={`panel ${adminStyles.section}`} aria-labelledby="actions-title">
      <h2 id="actions-title">Corporate actions</h2>
      <QueryState query={actions} isEmpty={(page) => page.items.length === 0} empty="No corporate actions yet.">
        {(page) => (
          <>
            <div className="table-scroll">
              <table>
                <caption className={adminStyles.caption}>By payment date; holders and totals once the register is read</caption>
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">Status</th>
                    <th scope="col">Record date</th>
                    <th scope="col">Payment date</th>
                    <th scope="col" className="num">Per unit</th>
                    <th scope="col" className="num">Holders</th>
                    <th scope="col" className="num">Gross</th>
                    <th scope="col" className="num">Tax withheld</th>
                    <th scope="col">Payments</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((action) => {
                    const scale = currencyScale(action.currency);
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
                          <td className="num">{formatMoney(action.amount_per_unit, scale, action.currency)}</td>
                          <td className="num">{formatQuantity(action.holders)}</td>
                          <td className="num">{formatMoney(action.gross, scale, action.currency)}</td>
                          <td className="num">{formatMoney(action.tax, scale, action.currency)}</td>
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
                            <td colSpan={9}>
                              <ActionPayments action={action} />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <Pager paging={paging} nextCursor={page.next_cursor} label="Corporate actions" />
          </>
        )}
      </QueryState>
    </section>
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
  const scale = currencyScale(action.currency);
  const money = (minor: number) => formatMoney(minor, scale, action.currency);
  return (
    <QueryState
      query={detail}
      isEmpty={(data) => data.entitlements.length === 0}
      empty={action.status === "scheduled" ? "Entitlements are fixed when the register is read on the record date." : "Nobody held the bond on the record date."}
    >
      {(data) => {
        const paid = new Map(data.payments.map((payment) => [payment.user_id, payment]));
        return (
          <table>
            <caption className={adminStyles.caption}>Entitlements and payments</caption>
            <thead>
              <tr>
                <th scope="col">Holder</th>
                <th scope="col" className="num">Units</th>
                <th scope="col" className="num">Gross</th>
                <th scope="col" className="num">Tax</th>
                <th scope="col" className="num">Net</th>
                <th scope="col">Paid</th>
              </tr>
            </thead>
            <tbody>
              {data.entitlements.map((entitlement) => {
                const payment = paid.get(entitlement.user_id);
                return (
                  <tr key={entitlement.user_id}>
                    <td>
                      {names.has(entitlement.user_id) ? (
                        <span title={entitlement.user_id}>{names.get(entitlement.user_id)}</span>
                      ) : (
                        <UserName id={entitlement.user_id} directory={directory.data} />
                      )}
                    </td>
                    <td className="num">{formatQuantity(entitlement.units)}</td>
                    <td className="num">{money(entitlement.gross)}</td>
                    <td className="num">{money(entitlement.tax)}</td>
                    <td className="num">{money(entitlement.net)}</td>
                    <td>{payment ? formatDateTime(payment.paid_at) : <span className="muted">Not yet</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        );
      }}
    </QueryState>
  );
}
