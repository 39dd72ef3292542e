import { Change } from "../../components/Change";
import { currencyScale, formatMoney, formatPercent, formatPrice, formatQuantity } from "../../lib/decimal";
import { formatCoupon, formatDate, tickDigits } from "../../lib/format";
import { useTicker } from "../../lib/tickers";
import type { Instrument } from "./queries";
import styles from "./Trade.module.css";

/** The bond's facts and its live ticker. */
export function InstrumentHeader({ instrument }: { instrument: Instrument }) {
  const ticker = useTicker(instrument.id).data;
  const digits = tickDigits(instrument.tick_size);
  const facts: [string, string][] = [
    ["Coupon", `${formatCoupon(instrument.coupon_rate)} · ${instrument.coupon_frequency}× a year`],
    ["Maturity", formatDate(instrument.maturity_date)],
    ["Rating", [instrument.credit_rating, instrument.rating_agency].filter(Boolean).join(" · ")],
    ["Face value", formatMoney(instrument.face_value, currencyScale(instrument.currency), instrument.currency)],
    ["Lot", `${formatQuantity(instrument.min_lot)} + ${formatQuantity(instrument.lot_increment)} units`],
    ["Tick", formatPrice(instrument.tick_size)],
    ["Settlement", instrument.settlement_cycle],
    ["Day count", instrument.day_count],
  ];
  return (
    <section className={`panel ${styles.header}`} aria-label="Bond and ticker">
      <div className={styles.quote}>
        <div>
          <span className={styles.quoteLabel}>Last</span>
          <span className={styles.last}>{formatPrice(ticker?.last_price, digits)}</span>
        </div>
        <div>
          <span className={styles.quoteLabel}>24h change</span>
          <Change points={ticker?.change_24h} percent={ticker?.change_percent_24h} digits={digits} />
        </div>
        <div>
          <span className={styles.quoteLabel}>Yield at last</span>
          <span>{formatPercent(ticker?.last_yield, 3)}</span>
        </div>
        <div>
          <span className={styles.quoteLabel}>Bid / ask</span>
          <span>
            <span className="buy-text">{formatPrice(ticker?.best_bid?.price, digits)}</span> /{" "}
            <span className="sell-text">{formatPrice(ticker?.best_ask?.price, digits)}</span>
          </span>
        </div>
        <div>
          <span className={styles.quoteLabel}>24h high / low</span>
          <span>
            {formatPrice(ticker?.high_24h, digits)} / {formatPrice(ticker?.low_24h, digits)}
          </span>
        </div>
        <div>
          <span className={styles.quoteLabel}>24h volume</span>
          <span>{formatQuantity(ticker?.volume_24h)} units</span>
        </div>
      </div>
      <dl className={styles.facts}>
        <div>
          <dt>ISIN</dt>
          <dd className="mono">{instrument.isin}</dd>
        </div>
        {facts.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
