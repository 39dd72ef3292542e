import { QueryState } from "../../components/States";
import { formatMoney } from "../../lib/decimal";
import { assetRows, type Bucket } from "./funds";
import styles from "./Funds.module.css";
import { useBalances } from "./fundsQueries";

const COLUMNS: readonly { bucket: Bucket; label: string }[] = [
  { bucket: "available", label: "Available" },
  { bucket: "locked", label: "Reserved for orders" },
  { bucket: "escrow", label: "In escrow" },
  { bucket: "pending_withdrawal", label: "Being withdrawn" },
];
const CURRENCY_CODE = /^[A-Z]{3}$/;

/** Cash (and any bond units) by bucket: what is free, reserved, in escrow or on its way out. */
export function BalancesPanel() {
  const balances = useBalances();
  return (
    <section className="panel" aria-labelledby="balances-heading">
      <h2 id="balances-heading">Balances</h2>
      <QueryState
        query={balances}
        isEmpty={(list) => assetRows(list).length === 0}
        empty="No balances yet: make a deposit to get started."
      >
        {(list) => (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Asset</th>
                  {COLUMNS.map((column) => (
                    <th key={column.bucket} scope="col" className="num">
                      {column.label}
                    </th>
                  ))}
                  <th scope="col" className="num">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {assetRows(list).map((row) => {
                  const currency = CURRENCY_CODE.test(row.asset) ? row.asset : undefined;
                  return (
                    <tr key={row.asset}>
                      <th scope="row" className={styles.rowHeader}>{currency ? `Cash (${row.asset})` : `${row.asset} (units)`}</th>
                      {COLUMNS.map((column) => (
                        <td key={column.bucket} className="num">
                          {formatMoney(row.amounts.get(column.bucket) ?? 0n, row.scale, currency)}
                        </td>
                      ))}
                      <td className="num">
                        <strong>{formatMoney(row.total, row.scale, currency)}</strong>
                      </td>
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
