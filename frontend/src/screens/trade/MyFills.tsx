import { useQuery } from "@tanstack/react-query";
import { QueryState } from "../../components/States";
import { formatMoney, formatPrice, formatQuantity } from "../../lib/decimal";
import { currencyScale } from "../../lib/ticket";
import { formatDate, formatDateTime, tickDigits } from "../markets/format";
import { myTradesQuery, type Instrument } from "./queries";
import styles from "./Trade.module.css";

/** My fills in this instrument, newest first; refreshed as the `fills` channel reports them. */
export function MyFills({ instrument }: { instrument: Instrument }) {
  const fills = useQuery(myTradesQuery(instrument.id));
  const digits = tickDigits(instrument.tick_size);
  return (
    <section className={`panel ${styles.fillsPanel}`} aria-labelledby="fills-title">
      <h2 id="fills-title">My fills</h2>
      <QueryState query={fills} isEmpty={(list) => list.length === 0} empty="You have not traded this bond yet.">
        {(list) => (
          <div className="table-scroll">
            <table className={styles.compact}>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Side</th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col" className="num">
                    Units
                  </th>
                  <th scope="col" className="num">
                    Clean
                  </th>
                  <th scope="col" className="num">
                    Accrued
                  </th>
                  <th scope="col" className="num">
                    Fee
                  </th>
                  <th scope="col" className="num">
                    Settlement
                  </th>
                  <th scope="col">Settles</th>
                </tr>
              </thead>
              <tbody>
                {list.map((fill) => {
                  const scale = currencyScale(fill.currency);
                  const money = (minor: number | bigint) => formatMoney(minor, scale, fill.currency);
                  const buy = fill.side === "buy";
                  const settlement = BigInt(fill.dirty_amount) + (buy ? 1n : -1n) * BigInt(fill.fee);
                  return (
                    <tr key={fill.id}>
                      <td>{formatDateTime(fill.created_at)}</td>
                      <td className={buy ? "buy-text" : "sell-text"}>
                        {buy ? "Bought" : "Sold"} <span className="muted">({fill.liquidity})</span>
                      </td>
                      <td className="num">{formatPrice(fill.price, digits)}</td>
                      <td className="num">{formatQuantity(fill.quantity)}</td>
                      <td className="num">{money(fill.clean_amount)}</td>
                      <td className="num">{money(fill.accrued_interest)}</td>
                      <td className="num">{money(fill.fee)}</td>
                      <td className="num">{money(settlement)}</td>
                      <td>{formatDate(fill.settlement_date)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
