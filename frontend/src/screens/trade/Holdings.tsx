import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { formatMoney, formatQuantity } from "../../lib/decimal";
import { currencyScale } from "../../lib/ticket";
import { useChannel } from "../../lib/ws";
import type { Instrument } from "./queries";
import styles from "./Trade.module.css";

const BALANCES = ["accounts", "balances"];

/** My balances, kept current by the `balances` channel. */
function useBalances() {
  const queryClient = useQueryClient();
  const query = useQuery({ queryKey: BALANCES, queryFn: () => unwrap(api.GET("/api/v1/accounts")) });
  useChannel("balances", (message) => {
    if (message.type === "balances") queryClient.setQueryData(BALANCES, message.data);
  });
  return query.data;
}

/** What the side can use: cash to buy, units to sell. */
export function Holdings({ side, instrument }: { side: "buy" | "sell"; instrument: Instrument }) {
  const balances = useBalances();
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
