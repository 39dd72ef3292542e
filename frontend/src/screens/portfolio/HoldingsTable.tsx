import { Link } from "@tanstack/react-router";
import { useId, useState } from "react";
import { QueryState } from "../../components/States";
import { formatMoney, formatPercent, formatPrice, formatQuantity } from "../../lib/decimal";
import { Table } from "../../components/DataTable";
import { InstrumentName } from "../../components/InstrumentName";
import { formatDate } from "../../lib/format";
import { Pnl } from "./Pnl";
import styles from "./Portfolio.module.css";
import { useHoldings, type Holding } from "./queries";

const HEADINGS = [
  { header: "Instrument" },
  { header: "Units", num: true },
  { header: "Avg price", num: true },
  { header: "Mark", num: true },
  { header: "Market value", num: true },
  { header: "Accrued", num: true },
  { header: "Unrealised P&L", num: true },
  { header: "Yield", num: true },
  { header: "Mod. duration", num: true },
  { header: "Actions" },
];
const LOT_HEADINGS = [
  { header: "Acquired" },
  { header: "Source" },
  { header: "Units", num: true },
  { header: "Avg price", num: true },
  { header: "Cost", num: true },
  { header: "Buy fee carried", num: true },
];

const MARK_SOURCES: Record<NonNullable<Holding["mark_source"]>, string> = {
  last_trade: "last trade",
  curve: "curve",
};

/** The Holdings table: every bond I hold, valued at its mark. */
export function HoldingsTable() {
  const holdings = useHoldings();
  return (
    <section aria-labelledby="holdings-heading">
      <h2 id="holdings-heading">Holdings</h2>
      <QueryState
        query={holdings}
        isEmpty={(data) => data.items.length === 0}
        empty={
          <>
            You hold no bonds yet. Find one on the <Link to="/markets">Markets</Link> page and buy it: it shows here as
            soon as the trade is done.
          </>
        }
      >
        {(data) => (
          <Table headings={HEADINGS} labelledBy="holdings-heading">
            <tbody>
              {data.items.map((holding) => (
                <HoldingRow key={holding.instrument_id} holding={holding} />
              ))}
            </tbody>
          </Table>
        )}
      </QueryState>
    </section>
  );
}

/** One holding: units (with what is still settling or reserved), cost, mark and figures at the mark. */
function HoldingRow({ holding }: { holding: Holding }) {
  const { currency, scale } = holding;
  const [showLots, setShowLots] = useState(false);
  const lotsId = useId();
  return (
    <>
      <tr>
        <th scope="row" className="row-header">
          <InstrumentName id={holding.instrument_id} name={holding.name} isin={holding.isin} />
        </th>
        <td className="num">
          {formatQuantity(holding.units)}
          <UnitNotes holding={holding} />
        </td>
        <td className="num">{formatPrice(holding.average_price, 4)}</td>
        <td className="num">
          {formatPrice(holding.mark, 4)}
          {holding.mark_source && <small className={styles.note}>{MARK_SOURCES[holding.mark_source]}</small>}
        </td>
        <td className="num">{formatMoney(holding.market_value, scale, currency)}</td>
        <td className="num">{formatMoney(holding.accrued_interest, scale, currency)}</td>
        <td className="num">
          <Pnl minor={holding.unrealised_pnl} scale={scale} currency={currency} />
        </td>
        <td className="num">{formatPercent(holding.yield_percent)}</td>
        <td className="num">{holding.modified_duration?.toFixed(2) ?? "—"}</td>
        <td>
          <div className={styles.rowActions}>
            <Link
              to="/markets/$instrumentId"
              params={{ instrumentId: holding.instrument_id }}
              className="button"
              aria-label={`Trade ${holding.name}`}
            >
              Trade
            </Link>
            <button
              type="button"
              aria-label={`Lots of ${holding.name}`}
              aria-expanded={showLots}
              aria-controls={showLots ? lotsId : undefined}
              onClick={() => setShowLots((shown) => !shown)}
            >
              Lots
            </button>
          </div>
        </td>
      </tr>
      {showLots && (
        <tr id={lotsId}>
          <td colSpan={HEADINGS.length} className={styles.lotsCell}>
            <LotsTable holding={holding} />
          </td>
        </tr>
      )}
    </>
  );
}

/** The FIFO lots a holding's units came from, oldest first. */
function LotsTable({ holding }: { holding: Holding }) {
  const { currency, scale } = holding;
  if (holding.lots.length === 0) return <p className="muted">No lots: every unit has been sold.</p>;
  return (
    <Table headings={LOT_HEADINGS} label="Lots" className={styles.lots} scroll={false}>
      <tbody>
        {holding.lots.map((lot, index) => (
          <tr key={lot.trade_id ?? `${lot.acquired_on}:${index}`}>
            <td>{formatDate(lot.acquired_on)}</td>
            <td>{lot.source === "trade" ? "Trade" : "Transfer (no cost)"}</td>
            <td className="num">{formatQuantity(lot.units)}</td>
            <td className="num">{formatPrice(lot.average_price, 4)}</td>
            <td className="num">{formatMoney(lot.cost, scale, currency)}</td>
            <td className="num">{formatMoney(lot.fee, scale, currency)}</td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

/** What part of a holding is still settling or reserved for my sell orders. */
function UnitNotes({ holding }: { holding: Holding }) {
  const notes = [
    holding.pending_buy_units > 0 && `+${formatQuantity(holding.pending_buy_units)} settling`,
    holding.pending_sell_units > 0 && `−${formatQuantity(holding.pending_sell_units)} settling`,
    holding.locked_units > 0 && `${formatQuantity(holding.locked_units)} in orders`,
  ].filter(Boolean);
  return notes.map((note) => (
    <small key={String(note)} className={styles.note}>
      {note}
    </small>
  ));
}
