import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { Field } from "../../components/Field";
import { Page } from "../../components/Page";
import { QueryState } from "../../components/States";
import { formatMoney, formatQuantity } from "../../lib/decimal";
import { hasRole, useMe } from "../../lib/me";
import styles from "./admin.module.css";
import { formatDate, humanize } from "./format";
import { currencyScale } from "./money";
import { ADMIN_COMMANDS, InstrumentActions } from "./InstrumentActions";
import { Pager, useCursorPaging } from "./paging";
import { InstrumentStatusBadge } from "./StatusBadge";
import { useDebounced } from "./useDebounced";

type InstrumentStatus = components["schemas"]["InstrumentStatus"];

const STATUSES: readonly InstrumentStatus[] = ["pending_approval", "draft", "listed", "suspended", "matured", "delisted"];

/** Every instrument for admins: review submissions, halt, resume or delist, and the kill switch. */
export function InstrumentsAdminScreen() {
  const me = useMe();
  const isAdmin = hasRole(me.data, "admin");
  const [status, setStatus] = useState<InstrumentStatus | "">("");
  const [search, setSearch] = useState("");
  const q = useDebounced(search.trim());
  const paging = useCursorPaging(`${status}|${q}`);
  const instruments = useQuery({
    queryKey: ["instruments", "admin", { status, q, cursor: paging.cursor }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/instruments", {
          params: { query: { limit: 50, cursor: paging.cursor, status: status || null, q: q || null } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <Page title="Instruments">
      <form className={styles.filters} role="search" onSubmit={(event) => event.preventDefault()}>
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
        <Field label="Search" hint="ISIN prefix or words of the name">
          <input type="search" value={search} maxLength={100} onChange={(event) => setSearch(event.target.value)} />
        </Field>
      </form>
      {!isAdmin && me.data && <p className="notice">Only admins change an instrument's status; you can review the list.</p>}
      <QueryState query={instruments} isEmpty={(page) => page.items.length === 0} empty="No instruments match these filters.">
        {(page) => (
          <>
            <div className="table-scroll">
              <table>
                <caption className={styles.caption}>Instruments{status ? ` — ${humanize(status)}` : ""}</caption>
                <thead>
                  <tr>
                    <th scope="col">ISIN</th>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">Coupon</th>
                    <th scope="col">Maturity</th>
                    <th scope="col" className="num">Face value</th>
                    <th scope="col" className="num">Issue size</th>
                    <th scope="col">Rating</th>
                    {isAdmin && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((instrument) => (
                    <tr key={instrument.id}>
                      <td className={styles.mono}>
                        <Link to="/issuer/$instrumentId" params={{ instrumentId: instrument.id }}>
                          {instrument.isin}
                        </Link>
                      </td>
                      <td className={styles.wrap}>
                        {instrument.name}
                        {instrument.status_reason && <div className="muted">{instrument.status_reason}</div>}
                      </td>
                      <td>
                        <InstrumentStatusBadge status={instrument.status} />
                      </td>
                      <td className="num">{instrument.coupon_rate}%</td>
                      <td>{formatDate(instrument.maturity_date)}</td>
                      <td className="num">
                        {formatMoney(instrument.face_value, currencyScale(instrument.currency), instrument.currency)}
                      </td>
                      <td className="num">{formatQuantity(instrument.issue_size_units)}</td>
                      <td>{instrument.credit_rating}</td>
                      {isAdmin && (
                        <td>
                          <InstrumentActions instrument={instrument} commands={ADMIN_COMMANDS} />
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager paging={paging} nextCursor={page.next_cursor} label="Instruments" />
          </>
        )}
      </QueryState>
    </Page>
  );
}
