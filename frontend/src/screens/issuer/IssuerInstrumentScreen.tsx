import { useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { Page } from "../../components/Page";
import { QueryState } from "../../components/States";
import { formatMoney, formatQuantity } from "../../lib/decimal";
import { hasRole, useMe } from "../../lib/me";
import adminStyles from "../admin/admin.module.css";
import { formatDate } from "../admin/format";
import { ADMIN_COMMANDS, InstrumentActions, type InstrumentCommand } from "../admin/InstrumentActions";
import { currencyScale } from "../admin/money";
import { InstrumentStatusBadge } from "../admin/StatusBadge";
import { Term } from "../admin/Term";
import { BondForm } from "./BondForm";
import { fromInstrument, FREQUENCIES, toUpdate } from "./bondForm";
import { CashflowsSection } from "./CashflowsSection";
import { CorporateActionsSection } from "./CorporateActionsSection";
import { HoldersSection } from "./HoldersSection";
import { StatusHistory } from "./StatusHistory";

type Instrument = components["schemas"]["InstrumentOut"];

const route = getRouteApi("/issuer/$instrumentId");
const ISSUER_COMMANDS: readonly InstrumentCommand[] = ["submit"];

/** One bond for its issuer (or an admin): terms, status, holders, corporate actions and cash flows. */
export function IssuerInstrumentScreen() {
  const { instrumentId } = route.useParams();
  const instrument = useQuery({
    queryKey: ["instruments", "detail", instrumentId],
    queryFn: () => unwrap(api.GET("/api/v1/instruments/{instrument_id}", { params: { path: { instrument_id: instrumentId } } })),
  });
  return (
    <QueryState query={instrument}>{(data) => <InstrumentPage instrument={data} />}</QueryState>
  );
}

function InstrumentPage({ instrument }: { instrument: Instrument }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const isOwner = me.data?.id === instrument.issuer_id;
  const commands = [...(isOwner ? ISSUER_COMMANDS : []), ...(hasRole(me.data, "admin") ? ADMIN_COMMANDS : [])];
  const isDraft = instrument.status === "draft";
  const issued = instrument.listed_at !== null;

  return (
    <Page
      title={instrument.name}
      actions={
        <>
          {isOwner && isDraft && !editing && (
            <button type="button" onClick={() => setEditing(true)}>
              Edit draft
            </button>
          )}
          <InstrumentActions instrument={instrument} commands={commands} />
        </>
      }
    >
      <p>
        <Link to={isOwner ? "/issuer" : "/admin/instruments"}>← {isOwner ? "My bonds" : "Instruments"}</Link>
      </p>
      {editing ? (
        <section className={`panel ${adminStyles.section}`} aria-labelledby="edit-title">
          <h2 id="edit-title">Edit draft</h2>
          <BondForm
            initial={fromInstrument(instrument)}
            editing
            save={(values) =>
              unwrap(
                api.PATCH("/api/v1/instruments/{instrument_id}", {
                  params: { path: { instrument_id: instrument.id } },
                  body: toUpdate(values),
                }),
              )
            }
            onSaved={(updated) => {
              queryClient.setQueryData(["instruments", "detail", instrument.id], updated);
              void queryClient.invalidateQueries({ queryKey: ["instruments"] });
              setEditing(false);
            }}
            onCancel={() => setEditing(false)}
          />
        </section>
      ) : (
        <Terms instrument={instrument} />
      )}
      <StatusHistory instrument={instrument} />
      {issued ? (
        <>
          <HoldersSection instrumentId={instrument.id} />
          <CorporateActionsSection instrumentId={instrument.id} />
        </>
      ) : (
        <p className="panel muted">Holders and corporate actions begin once the bond is approved and listed.</p>
      )}
      <CashflowsSection instrumentId={instrument.id} />
    </Page>
  );
}

/** The bond's terms and market parameters. */
function Terms({ instrument: bond }: { instrument: Instrument }) {
  const scale = currencyScale(bond.currency);
  const frequency = FREQUENCIES[String(bond.coupon_frequency) as keyof typeof FREQUENCIES] ?? `${bond.coupon_frequency} a year`;
  return (
    <section className={`panel ${adminStyles.section}`} aria-labelledby="terms-title">
      <h2 id="terms-title">Terms</h2>
      <dl className={adminStyles.terms}>
        <Term label="ISIN">
          <span className={adminStyles.mono}>{bond.isin}</span>
        </Term>
        <Term label="Status">
          <InstrumentStatusBadge status={bond.status} />
        </Term>
        <Term label="Face value">{formatMoney(bond.face_value, scale, bond.currency)}</Term>
        <Term label="Coupon">
          {bond.coupon_rate}% {frequency.toLowerCase()}
        </Term>
        <Term label="Day count">{bond.day_count}</Term>
        <Term label="Issue date">{formatDate(bond.issue_date)}</Term>
        <Term label="Maturity date">{formatDate(bond.maturity_date)}</Term>
        <Term label="First coupon">{bond.first_coupon_date ? formatDate(bond.first_coupon_date) : "Regular"}</Term>
        <Term label="Issue size">{formatQuantity(bond.issue_size_units)} units</Term>
        <Term label="Rating">
          {bond.credit_rating}
          {bond.rating_agency && ` (${bond.rating_agency})`}
        </Term>
        <Term label="Calendar / settlement">
          {bond.calendar}, {bond.settlement_cycle}
        </Term>
        <Term label="Lots">
          min {formatQuantity(bond.min_lot)}, step {formatQuantity(bond.lot_increment)}
        </Term>
        <Term label="Tick size">{bond.tick_size}</Term>
        <Term label="Fees (maker / taker)">
          {bond.maker_fee_bps} / {bond.taker_fee_bps} bps
        </Term>
        <Term label="Price band">{bond.price_band_percent === null ? "None" : `${bond.price_band_percent}%`}</Term>
        <Term label="Largest order">
          {bond.max_order_notional === null ? "Venue limit" : formatMoney(bond.max_order_notional, scale, bond.currency)}
        </Term>
        <Term label="Session">
          {bond.session_open && bond.session_close
            ? `${bond.session_open.slice(0, 5)}–${bond.session_close.slice(0, 5)}${bond.queue_outside_hours ? ", queues outside hours" : ""}`
            : "Round the clock"}
        </Term>
        <Term label="Reference curve">{bond.reference_curve ?? "None"}</Term>
      </dl>
    </section>
  );
}
