import { useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { ADMIN_COMMANDS, InstrumentActions, type InstrumentCommand } from "../../components/InstrumentActions";
import { Page } from "../../components/Page";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { InstrumentStatusBadge } from "../../components/StatusBadge";
import { Term, Terms } from "../../components/Terms";
import { currencyScale, formatMoney, formatQuantity } from "../../lib/decimal";
import { formatDate } from "../../lib/format";
import { instrumentKey, instrumentQuery, type Instrument } from "../../lib/instruments";
import { hasRole, useMe } from "../../lib/me";
import { BondForm } from "./BondForm";
import { fromInstrument, FREQUENCIES, toUpdate } from "./bondForm";
import { CashflowsSection } from "./CashflowsSection";
import { CorporateActionsSection } from "./CorporateActionsSection";
import { HoldersSection } from "./HoldersSection";
import { StatusHistory } from "./StatusHistory";

const route = getRouteApi("/issuer/$instrumentId");
const ISSUER_COMMANDS: readonly InstrumentCommand[] = ["submit"];

/** One bond for its issuer (or an admin): terms, status, holders, corporate actions and cash flows. */
export function IssuerInstrumentScreen() {
  const { instrumentId } = route.useParams();
  const instrument = useQuery(instrumentQuery(instrumentId));
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
        <Panel title="Edit draft">
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
              queryClient.setQueryData(instrumentKey(instrument.id), updated);
              void queryClient.invalidateQueries({ queryKey: ["instruments"] });
              setEditing(false);
            }}
            onCancel={() => setEditing(false)}
          />
        </Panel>
      ) : (
        <BondTerms instrument={instrument} />
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
function BondTerms({ instrument: bond }: { instrument: Instrument }) {
  const scale = currencyScale(bond.currency);
  const frequency = FREQUENCIES[String(bond.coupon_frequency) as keyof typeof FREQUENCIES] ?? `${bond.coupon_frequency} a year`;
  return (
    <Panel title="Terms">
      <Terms>
        <Term label="ISIN">
          <span className="isin">{bond.isin}</span>
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
      </Terms>
    </Panel>
  );
}
