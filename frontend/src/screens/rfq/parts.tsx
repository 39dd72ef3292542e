/** Small pieces the RFQ screens share: countdowns, status badges, the bond of an RFQ. */
import { Link } from "@tanstack/react-router";
import type { Column } from "../../components/DataTable";
import { InstrumentById } from "../../components/InstrumentName";
import { StatusBadge } from "../../components/StatusBadge";
import { formatCountdown, formatTenths, msUntil } from "../../lib/countdown";
import { formatPrice } from "../../lib/decimal";
import { formatDateTime, tickDigits } from "../../lib/format";
import { useInstrumentIndex, type Instrument } from "../../lib/instruments";
import { OUTCOME_HINTS, OUTCOME_TONES, STATUS_TONES, type Outcome, type Rfq, type RfqStatus } from "./rfq";
import styles from "./Rfq.module.css";

/**
 * The time left until `to` ("01:23", or "3.2 s" with `tenths`), re-rendered as `now` ticks, in
 * the warning colour for its last `soonMs`; `over` once it has passed.
 */
export function TimeLeft({
  to,
  now,
  tenths = false,
  soonMs = 10_000,
  over = "now",
}: {
  to: string | null | undefined;
  now: number;
  tenths?: boolean;
  soonMs?: number;
  over?: string;
}) {
  // `now` is the last tick (up to a tick old when a new quote arrives): read the clock for the figure.
  const left = msUntil(to, Math.max(now, Date.now()));
  if (left <= 0) return <span className="muted">{over}</span>;
  return (
    <span className={left <= soonMs ? `${styles.countdown} ${styles.soon}` : styles.countdown} title={formatDateTime(to, { seconds: true })}>
      {tenths ? formatTenths(left) : formatCountdown(left)}
    </span>
  );
}

export function RfqStatusBadge({ status }: { status: RfqStatus }) {
  return <StatusBadge status={status} tone={STATUS_TONES[status]} />;
}

/** A dealer's outcome, explained on hover. */
export function OutcomeBadge({ outcome }: { outcome: Outcome | null | undefined }) {
  if (!outcome) return <span className="muted">—</span>;
  return (
    <span title={OUTCOME_HINTS[outcome]}>
      <StatusBadge status={outcome} tone={OUTCOME_TONES[outcome]} />
    </span>
  );
}

/** The bond of an RFQ, from the cached instrument directory (undefined while it loads). */
export function useBond(instrumentId: string): Instrument | undefined {
  return useInstrumentIndex().data?.get(instrumentId);
}

/** How many decimals the bond's prices show (its tick's), once the directory is loaded. */
export function usePriceDigits(instrumentId: string): number | undefined {
  const bond = useBond(instrumentId);
  return bond ? tickDigits(bond.tick_size) : undefined;
}

/** A price of an RFQ's bond, with the bond's tick digits ("—" when none). */
export function RfqPrice({ instrumentId, price }: { instrumentId: string; price: string | null | undefined }) {
  return <>{formatPrice(price, usePriceDigits(instrumentId))}</>;
}

/** The columns every table of RFQs starts with: when it was asked (linking to it) and the bond. */
export const RFQ_COLUMNS: Column<Rfq>[] = [
  {
    header: "Requested",
    rowHeader: true,
    cell: (rfq) => (
      <Link to="/rfqs/$rfqId" params={{ rfqId: rfq.id }}>
        {formatDateTime(rfq.created_at, { seconds: true })}
      </Link>
    ),
  },
  { header: "Bond", cell: (rfq) => <InstrumentById id={rfq.instrument_id} /> },
];
