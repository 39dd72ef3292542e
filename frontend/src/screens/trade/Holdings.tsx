import { useBalances } from "../../lib/balances";
import { currencyScale, formatMoney, formatQuantity } from "../../lib/decimal";
import type { Instrument } from "./queries";
import styles from "./Trade.module.css";

/** What the side can use: cash to buy, units to sell. */
export function Holdings({ side, instrument }: { side: "buy" | "sell"; instrument: Instrument }) {
  const balances = useBalances({ live: true }).data;
  if (!balances) return null;
  const asset = side === "buy" ? instrument.currency : instrument.isin;
  const held = balances.find((balance) => balance.asset === asset && balance.bucket === "available");
  return (
    <p className={styles.note}>
      {side === "buy"
        ? `Cash available: ${formatMoney(held?.balance ?? 0, held?.scale ?? currencyScale(instrument.currency), instrument.currency)}`
        : `Units available: ${formatQuantity(held?.balance ?? 0)}`}
    </p>
  );
}
