import type { CSSProperties } from "react";
import { Panel } from "../../components/Panel";
import { Loading } from "../../components/States";
import { spreadTicks, withDepth, type Book, type DepthLevel } from "../../lib/book";
import { decimalToString, formatPrice, formatQuantity, parseDecimal } from "../../lib/decimal";
import { fromTicks } from "../../lib/ticket";
import type { Instrument, LiveBook } from "./queries";
import styles from "./Trade.module.css";

const LEVELS = 10;

/** The order book ladder with depth bars, live; choosing a level puts its price in the ticket. */
export function OrderBook({
  instrument,
  live: { book, resyncing, error },
  onPick,
}: {
  instrument: Instrument;
  live: LiveBook;
  onPick: (price: string) => void;
}) {
  return (
    <Panel
      title="Order book"
      className={styles.bookPanel}
      busy={!book || resyncing}
      actions={resyncing && <span className="badge">Resyncing…</span>}
    >
      {error ? (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      ) : book ? (
        <Ladder book={book} tickSize={instrument.tick_size} onPick={onPick} />
      ) : (
        <Loading label="Loading the book…" />
      )}
    </Panel>
  );
}

function Ladder({ book, tickSize, onPick }: { book: Book; tickSize: string; onPick: (price: string) => void }) {
  const asks = withDepth(book.asks, LEVELS);
  const bids = withDepth(book.bids, LEVELS);
  const deepest = Math.max(asks.at(-1)?.cumulative ?? 0, bids.at(-1)?.cumulative ?? 0, 1);
  const spread = spreadTicks(book);
  const tick = parseDecimal(tickSize);
  const digits = tick?.scale;
  return (
    <div className={styles.ladder}>
      <div className={styles.ladderHead} aria-hidden="true">
        <span>Price</span>
        <span>Units</span>
        <span>Total</span>
      </div>
      <Side name="Asks" levels={[...asks].reverse()} deepest={deepest} digits={digits} onPick={onPick} />
      <p className={styles.spread}>
        {spread === null || !tick ? "No spread" : `Spread ${formatPrice(decimalToString(fromTicks(BigInt(spread), tick)), digits)}`}
      </p>
      <Side name="Bids" levels={bids} deepest={deepest} digits={digits} onPick={onPick} />
    </div>
  );
}

function Side({
  name,
  levels,
  deepest,
  digits,
  onPick,
}: {
  name: "Asks" | "Bids";
  levels: DepthLevel[];
  deepest: number;
  digits: number | undefined;
  onPick: (price: string) => void;
}) {
  const ask = name === "Asks";
  if (levels.length === 0) return <p className={`muted ${styles.emptySide}`}>{ask ? "No offers" : "No bids"}</p>;
  return (
    <ol aria-label={name} className={`${styles.levels} ${ask ? styles.asks : styles.bids}`}>
      {levels.map((level) => (
        <li key={level.price_ticks}>
          <button
            type="button"
            className={styles.level}
            style={{ "--depth": `${(level.cumulative / deepest) * 100}%` } as CSSProperties}
            aria-label={`${ask ? "Ask" : "Bid"} ${level.price}, ${formatQuantity(level.quantity)} units`}
            title="Use this price in the ticket"
            onClick={() => onPick(level.price)}
          >
            <span className={ask ? "sell-text" : "buy-text"}>{formatPrice(level.price, digits)}</span>
            <span>{formatQuantity(level.quantity)}</span>
            <span className="muted">{formatQuantity(level.cumulative)}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}
