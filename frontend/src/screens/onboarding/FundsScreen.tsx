import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { Page } from "../../components/Page";
import { Panel } from "../../components/Panel";
import { Tabs } from "../../components/Tabs";
import { BalancesPanel } from "./BalancesPanel";
import { BankAccountsPanel } from "./BankAccountsPanel";
import { DepositForm } from "./DepositForm";
import styles from "./Funds.module.css";
import { useKycApplication } from "./kyc";
import { PaymentsPanel } from "./PaymentsPanel";
import { WithdrawForm } from "./WithdrawForm";

/** Cash: balances, deposits and withdrawals, bank accounts, and the payments' progress. */
export function FundsScreen() {
  return (
    <Page title="Funds">
      <BalancesPanel />
      <div className={styles.columns}>
        <MoveMoney />
        <BankAccountsPanel />
      </div>
      <PaymentsPanel />
    </Page>
  );
}

type Tab = "deposit" | "withdraw";

/** Deposit and withdraw, as two tabs; only for investors whose identity is confirmed. */
function MoveMoney() {
  const kyc = useKycApplication();
  const [tab, setTab] = useState<Tab>("deposit");

  return (
    <Panel title="Add or withdraw money">
      {kyc.data !== undefined && kyc.data?.status !== "verified" ? (
        <p className="notice">
          {kyc.data?.status === "pending"
            ? "Your identity check is under review. Deposits and withdrawals open as soon as it is complete."
            : "Deposits and withdrawals open once your identity is confirmed."}{" "}
          <Link to="/onboarding">See your KYC status</Link>
        </p>
      ) : (
        <Tabs
          label="Add or withdraw money"
          selected={tab}
          onSelect={setTab}
          tabs={[
            { key: "deposit", label: "Deposit", panel: <DepositForm /> },
            { key: "withdraw", label: "Withdraw", panel: <WithdrawForm /> },
          ]}
        />
      )}
    </Panel>
  );
}
