import { Link } from "@tanstack/react-router";
import { currencyScale, formatMoney, formatQuantity } from "../lib/decimal";
import { formatCoupon, formatDate } from "../lib/format";
import type { Instrument } from "../lib/instruments";
import { DataTable, type Column } from "./DataTable";
import { InstrumentStatusBadge } from "./StatusBadge";

/** The columns every list of instruments for staff shows; each ISIN opens the bond's page. */
const COLUMNS: readonly Column<Instrument>[] = [
  {
    header: "ISIN",
    className: "isin",
    cell: (instrument) => (
      <Link to="/issuer/$instrumentId" params={{ instrumentId: instrument.id }}>
        {instrument.isin}
      </Link>
    ),
  },
  {
    header: "Name",
    className: "wrap",
    cell: (instrument) => (
      <>
        {instrument.name}
        {instrument.status_reason && <div className="muted">{instrument.status_reason}</div>}
      </>
    ),
  },
  { header: "Status", cell: (instrument) => <InstrumentStatusBadge status={instrument.status} /> },
  { header: "Coupon", num: true, cell: (instrument) => formatCoupon(instrument.coupon_rate) },
  { header: "Maturity", cell: (instrument) => formatDate(instrument.maturity_date) },
  {
    header: "Face value",
    num: true,
    cell: (instrument) => formatMoney(instrument.face_value, currencyScale(instrument.currency), instrument.currency),
  },
  { header: "Issue size", num: true, cell: (instrument) => formatQuantity(instrument.issue_size_units) },
];

/** Instruments with their status and main terms, then the screen's own `extra` columns. */
export function InstrumentTable({
  instruments,
  caption,
  extra = [],
}: {
  instruments: readonly Instrument[];
  caption: string;
  extra?: readonly Column<Instrument>[];
}) {
  return <DataTable columns={[...COLUMNS, ...extra]} rows={instruments} rowKey={(instrument) => instrument.id} caption={caption} />;
}
