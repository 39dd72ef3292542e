import { Link } from "@tanstack/react-router";
import { useRef, useState, type KeyboardEvent } from "react";
import { Page } from "../../components/Page";
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

const TABS = [
  { id: "deposit", label: "Deposit" },
  { id: "withdraw", label: "Withdraw" },
] as const;
type Tab = (typeof TABS)[number]["id"];

/** Deposit and withdraw, as two tabs; only for investors whose identity is confirmed. */
function MoveMoney() {
  const kyc = useKycApplication();
  const [tab, setTab] = useState<Tab>("deposit");
  const tabRefs = useRef<Partial<Record<Tab, HTMLButtonElement | null>>>({});

  if (kyc.data !== undefined && kyc.data?.status !== "verified") {
    return (
      <section className="panel" aria-labelledby="move-money-heading">
        <h2 id="move-money-heading">Add or withdraw money</h2>
        <p className="notice">
          {kyc.data?.status === "pending"
            ? "Your identity check is under review. Deposits and withdrawals open as soon as it is complete."
            : "Deposits and withdrawals open once your identity is confirmed."}{" "}
          <Link to="/onboarding">See your KYC status</Link>
        </p>
      </section>
    );
  }

  // Arrow keys move between the tabs, as the ARIA tabs pattern expects.
  function onKeyDown(event: KeyboardEvent) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const next = TABS[(TABS.findIndex((item) => item.id === tab) + 1) % TABS.length]!.id;
    setTab(next);
    tabRefs.current[next]?.focus();
  }

  return (
    <section className="panel" aria-labelledby="move-money-heading">
      <h2 id="move-money-heading">Add or withdraw money</h2>
      <div className="tabs" role="tablist" aria-label="Add or withdraw money" onKeyDown={onKeyDown}>
        {TABS.map((item) => (
          <button
            key={item.id}
            ref={(element) => {
              tabRefs.current[item.id] = element;
            }}
            type="button"
            role="tab"
            id={`funds-tab-${item.id}`}
            aria-selected={tab === item.id}
            aria-controls={`funds-panel-${item.id}`}
            tabIndex={tab === item.id ? 0 : -1}
            onClick={() => setTab(item.id)}
          >
            {item.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`funds-panel-${tab}`} aria-labelledby={`funds-tab-${tab}`}>
        {tab === "deposit" ? <DepositForm /> : <WithdrawForm />}
      </div>
    </section>
  );
}
