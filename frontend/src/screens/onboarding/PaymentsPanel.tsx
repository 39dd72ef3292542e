import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { DataTable, type Column } from "../../components/DataTable";
import { LoadMore } from "../../components/LoadMore";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { BALANCES_KEY } from "../../lib/balances";
import { formatDateTime } from "../../lib/format";
import { bankAccountLabel, formatRupees, paymentStatusLabel, type Payment } from "./funds";
import styles from "./Funds.module.css";
import { useBankAccounts, usePayments } from "./fundsQueries";

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
  const columns: Column<Payment>[] = [
    {
      header: "Type",
      cell: (payment) => `${payment.kind === "deposit" ? "Deposit" : "Withdrawal"} (${METHOD_LABELS[payment.method]})`,
    },
    {
      header: "Amount",
      num: true,
      className: (payment) => (payment.kind === "deposit" ? "buy-text" : "sell-text"),
      cell: (payment) => `${payment.kind === "deposit" ? "+" : "−"}${formatRupees(payment.amount)}`,
    },
    {
      header: "Status",
      cell: (payment) => <span className={`badge ${STATUS_CLASSES[payment.status] ?? ""}`}>{paymentStatusLabel(payment)}</span>,
    },
    { header: "Requested", cell: (payment) => formatDateTime(payment.created_at) },
    { header: "Details", className: "wrap", cell: (payment) => payment.failure_reason ?? destination(payment) },
    { header: "Reference", className: "mono", cell: (payment) => payment.rail_reference ?? "—" },
  ];

  return (
    <Panel title="Deposits and withdrawals">
      <QueryState query={payments} isEmpty={(data) => data.pages.every((page) => page.items.length === 0)} empty="No deposits or withdrawals yet.">
        {() => (
          <>
            <DataTable columns={columns} rows={items ?? []} rowKey={(payment) => payment.id} />
            <LoadMore query={payments}>Show older payments</LoadMore>
          </>
        )}
      </QueryState>
    </Panel>
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
