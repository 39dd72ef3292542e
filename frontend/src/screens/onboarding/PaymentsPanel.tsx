import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { ErrorState, QueryState } from "../../components/States";
import { formatDateTime } from "../auth/shared/format";
import { bankAccountLabel, formatRupees, paymentStatusLabel, type Payment } from "./funds";
import styles from "./Funds.module.css";
import { BALANCES_KEY, useBankAccounts, usePayments } from "./fundsQueries";

const METHOD_LABELS: Record<Payment["method"], string> = { upi: "UPI", rtgs: "RTGS" };
const STATUS_CLASSES: Partial<Record<Payment["status"], string | undefined>> = {
  pending: styles.pending,
  confirmed: styles.ok,
  settled: styles.ok,
  failed: styles.bad,
  returned: styles.bad,
  expired: styles.bad,
};

/** Deposits and withdrawals, newest first, refreshing while any is on its way. */
export function PaymentsPanel() {
  const payments = usePayments();
  const accounts = useBankAccounts();
  const items = payments.data?.pages.flatMap((page) => page.items);
  useBalancesFollowPayments(items);

  const destination = (payment: Payment) => {
    const account = accounts.data?.find((item) => item.id === payment.bank_account_id);
    return account ? `to ${bankAccountLabel(account)}` : "";
  };

  return (
    <section className="panel" aria-labelledby="payments-heading">
      <h2 id="payments-heading">Deposits and withdrawals</h2>
      <QueryState query={payments} isEmpty={(data) => data.pages.every((page) => page.items.length === 0)} empty="No deposits or withdrawals yet.">
        {() => (
          <>
            <div className="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col" className="num">
                      Amount
                    </th>
                    <th scope="col">Status</th>
                    <th scope="col">Requested</th>
                    <th scope="col">Details</th>
                    <th scope="col">Reference</th>
                  </tr>
                </thead>
                <tbody>
                  {items?.map((payment) => (
                    <tr key={payment.id}>
                      <td>
                        {payment.kind === "deposit" ? "Deposit" : "Withdrawal"} ({METHOD_LABELS[payment.method]})
                      </td>
                      <td className={`num ${payment.kind === "deposit" ? "buy-text" : "sell-text"}`}>
                        {payment.kind === "deposit" ? "+" : "−"}
                        {formatRupees(payment.amount)}
                      </td>
                      <td>
                        <span className={`badge ${STATUS_CLASSES[payment.status] ?? ""}`}>{paymentStatusLabel(payment)}</span>
                      </td>
                      <td>{formatDateTime(payment.created_at)}</td>
                      <td className={styles.wrap}>{payment.failure_reason ?? destination(payment)}</td>
                      <td className={styles.mono}>{payment.rail_reference ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {payments.hasNextPage && (
              <p>
                <button type="button" disabled={payments.isFetchingNextPage} onClick={() => void payments.fetchNextPage()}>
                  Show older payments
                </button>
              </p>
            )}
            {payments.isFetchNextPageError && <ErrorState error={payments.error} />}
          </>
        )}
      </QueryState>
    </section>
  );
}

/** Refresh the balances whenever a payment changes status (a deposit credited, a withdrawal returned…). */
function useBalancesFollowPayments(items: Payment[] | undefined) {
  const queryClient = useQueryClient();
  const signature = items?.map((payment) => `${payment.id}:${payment.status}`).join(",");
  const previous = useRef(signature);
  useEffect(() => {
    if (previous.current !== undefined && signature !== previous.current) {
      void queryClient.invalidateQueries({ queryKey: BALANCES_KEY });
    }
    previous.current = signature;
  }, [signature, queryClient]);
}
