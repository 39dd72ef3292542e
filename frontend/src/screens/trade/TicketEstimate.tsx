import { errorMessage } from "../../api/problem";
import { decimalToString, formatMoney, formatPercent, formatPrice } from "../../lib/decimal";
import type { Side, TicketRules } from "../../lib/ticket";
import { formatDate } from "../../lib/format";
import styles from "./Trade.module.css";
import type { TicketQuote } from "./ticketQuote";

/** The figures of the order before it is sent: yield (or the price a yield converts to),
 * clean amount, accrued interest, fee and settlement. */
export function TicketEstimate({
  quote,
  rules,
  side,
  byYield,
  market,
  digits,
}: {
  quote: TicketQuote;
  rules: TicketRules;
  side: Side;
  byYield: boolean;
  market: boolean;
  digits: number | undefined;
}) {
  const money = (minor: bigint | undefined) => (minor === undefined ? "—" : formatMoney(minor, rules.scale, rules.currency));
  const bps = decimalToString(quote.taker ? rules.takerFeeBps : rules.makerFeeBps);
  return (
    <>
      <dl className={styles.estimate} aria-label="Estimate" aria-busy={quote.pending}>
        <div>
          <dt>{byYield ? "Clean price" : "Yield"}</dt>
          <dd className={quote.pending ? "muted" : undefined}>
            {byYield
              ? formatPrice(quote.impliedPrice && decimalToString(quote.impliedPrice), digits)
              : formatPercent(quote.yieldPercent, 4)}
          </dd>
        </div>
        <div>
          <dt>Clean amount</dt>
          <dd>{money(quote.cash?.clean)}</dd>
        </div>
        <div>
          <dt>Accrued interest</dt>
          <dd>{money(quote.cash?.accrued)}</dd>
        </div>
        <div>
          <dt>{`Fee (${quote.taker ? "taker" : "maker"}, ${bps} bp)`}</dt>
          <dd>{money(quote.cash?.fee)}</dd>
        </div>
        <div className={styles.total}>
          <dt>{side === "buy" ? "You pay" : "You receive"}</dt>
          <dd>{money(quote.cash?.settlement)}</dd>
        </div>
        <div>
          <dt>Settles</dt>
          <dd>{formatDate(quote.settlementDate)}</dd>
        </div>
      </dl>
      <p className={styles.note}>
        {market
          ? `Estimated at the best ${side === "buy" ? "offer" : "bid"}; a market order may fill worse, within the price band.`
          : "Estimated at your limit price."}
      </p>
      {quote.error != null && <p className={styles.note}>{`Estimate unavailable: ${errorMessage(quote.error)}`}</p>}
    </>
  );
}
