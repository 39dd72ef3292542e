import { Link } from "@tanstack/react-router";
import { shortId } from "../lib/format";
import { useInstrumentIndex } from "../lib/instruments";
import styles from "./InstrumentName.module.css";

/** An instrument's name (linking to its trade screen) over its ISIN. */
export function InstrumentName({ id, name, isin }: { id: string; name: string; isin: string }) {
  return (
    <span className={styles.instrument}>
      <Link to="/markets/$instrumentId" params={{ instrumentId: id }}>
        {name}
      </Link>
      <small className="muted">{isin}</small>
    </span>
  );
}

/** An instrument known only by id: resolved through the cached instrument directory. */
export function InstrumentById({ id }: { id: string }) {
  const index = useInstrumentIndex();
  const instrument = index.data?.get(id);
  if (instrument) return <InstrumentName id={id} name={instrument.name} isin={instrument.isin} />;
  return (
    <span className="muted" title={id}>
      {index.isPending ? "…" : `Instrument ${shortId(id)}`}
    </span>
  );
}
