import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { Field } from "../../components/Field";
import { Page } from "../../components/Page";
import { Loading, QueryState } from "../../components/States";
import { formatMoney, formatQuantity } from "../../lib/decimal";
import { hasRole, useMe } from "../../lib/me";
import adminStyles from "../admin/admin.module.css";
import { formatDate, formatDateTime, humanize } from "../admin/format";
import { currencyScale } from "../admin/money";
import { Pager, useCursorPaging } from "../admin/paging";
import { InstrumentStatusBadge } from "../admin/StatusBadge";
import { BondForm } from "./BondForm";
import { EMPTY_BOND, toCreate } from "./bondForm";

type InstrumentStatus = components["schemas"]["InstrumentStatus"];

const STATUSES: readonly InstrumentStatus[] = ["draft", "pending_approval", "listed", "suspended", "matured", "delisted"];

/** The issuer's bonds (drafts included) by status, and drafting a new one; admins see every issuer's. */
export function IssuerScreen() {
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [drafting, setDrafting] = useState(false);
  const [status, setStatus] = useState<InstrumentStatus | "">("");
  const isIssuer = hasRole(me.data, "issuer");
  // An issuer sees their own bonds; an admin who issues nothing sees every issuer's.
  const issuerId = isIssuer ? me.data?.id : null;
  const paging = useCursorPaging(status);
  const bonds = useQuery({
    queryKey: ["instruments", "issuer", { issuerId, status, cursor: paging.cursor }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/instruments", {
          params: { query: { limit: 50, cursor: paging.cursor, issuer_id: issuerId, status: status || null } },
        }),
      ),
    enabled: Boolean(me.data),
    placeholderData: keepPreviousData,
  });

  if (me.isPending) return <Loading />;

  return (
    <Page
      title={isIssuer ? "My bonds" : "Bonds by issuer"}
      actions={
        isIssuer &&
        !drafting && (
          <button type="button" className="primary" onClick={() => setDrafting(true)}>
            Draft a bond
          </button>
        )
      }
    >
      {!isIssuer && (
        <p className="notice">
          Only issuers draft bonds. These are every issuer's; review submissions under{" "}
          <Link to="/admin/instruments">Instruments</Link>.
        </p>
      )}
      {drafting && (
        <section className={`panel ${adminStyles.section}`} aria-labelledby="draft-title">
          <h2 id="draft-title">Draft a bond</h2>
          <BondForm
            initial={EMPTY_BOND}
            editing={false}
            save={(values) => unwrap(api.POST("/api/v1/instruments", { body: toCreate(values) }))}
            onSaved={(instrument) => {
              void queryClient.invalidateQueries({ queryKey: ["instruments"] });
              void navigate({ to: "/issuer/$instrumentId", params: { instrumentId: instrument.id } });
            }}
            onCancel={() => setDrafting(false)}
          />
        </section>
      )}
      <form className={adminStyles.filters} role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="Status">
          <select value={status} onChange={(event) => setStatus(event.target.value as InstrumentStatus | "")}>
            <option value="">All statuses</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </Field>
      </form>
      <QueryState
        query={bonds}
        isEmpty={(page) => page.items.length === 0}
        empty={status ? "None of your bonds has this status." : "You have no bonds yet. Draft one to get started."}
      >
        {(page) => (
          <>
            <div className="table-scroll">
              <table>
                <caption className={adminStyles.caption}>{isIssuer ? "Your bonds" : "Every issuer's bonds"}</caption>
                <thead>
                  <tr>
                    <th scope="col">ISIN</th>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">Coupon</th>
                    <th scope="col">Maturity</th>
                    <th scope="col" className="num">Face value</th>
                    <th scope="col" className="num">Issue size</th>
                    <th scope="col">Drafted</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((bond) => (
                    <tr key={bond.id}>
                      <td className={adminStyles.mono}>
                        <Link to="/issuer/$instrumentId" params={{ instrumentId: bond.id }}>
                          {bond.isin}
                        </Link>
                      </td>
                      <td className={adminStyles.wrap}>
                        {bond.name}
                        {bond.status_reason && <div className="muted">{bond.status_reason}</div>}
                      </td>
                      <td>
                        <InstrumentStatusBadge status={bond.status} />
                      </td>
                      <td className="num">{bond.coupon_rate}%</td>
                      <td>{formatDate(bond.maturity_date)}</td>
                      <td className="num">{formatMoney(bond.face_value, currencyScale(bond.currency), bond.currency)}</td>
                      <td className="num">{formatQuantity(bond.issue_size_units)}</td>
                      <td>{formatDateTime(bond.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager paging={paging} nextCursor={page.next_cursor} label="Bonds" />
          </>
        )}
      </QueryState>
    </Page>
  );
}
