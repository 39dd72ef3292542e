import { QueryState } from "../../components/States";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { formatTime, tickDigits } from "../markets/format";
import { useTape, type Instrument } from "./queries";
import styles from "./Trade.module.css";

/** The public tape, newest first, live. */
export function TradeTape({ instrument }: { instrument: Instrument }) {
  const tape = useTape(instrument.id);
  const digits = tickDigits(instrument.tick_size);
  return (
    <section className={`panel ${styles.tapePanel}`} aria-labelledby="tape-title">
      <h2 id="tape-title">Trades</h2>
      <QueryState query={tape} isEmpty={(trades) => trades.length === 0} empty="No trades yet.">
        {(trades) => (
          <div className={`table-scroll ${styles.tapeScroll}`}>
            <table className={styles.compact}>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col" className="num">
                    Units
                  </th>
                </tr>
              </thead>
              <tbody>
                {trades.map((trade) => (
                  <tr key={trade.id}>
                    <td>{formatTime(trade.created_at)}</td>
                    <td className={`num ${trade.aggressor_side === "buy" ? "buy-text" : "sell-text"}`}>
                      <span className={styles.srOnly}>{trade.aggressor_side === "buy" ? "Bought " : "Sold "}</span>
                      {formatPrice(trade.price, digits)}
                    </td>
                    <td className="num">{formatQuantity(trade.quantity)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
