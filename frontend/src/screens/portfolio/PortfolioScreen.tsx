import { Page } from "../../components/Page";
import { WalletCard } from "../chain/WalletCard";
import { CashflowCalendar } from "./CashflowCalendar";
import { HoldingsTable } from "./HoldingsTable";
import { PnlPanel } from "./PnlPanel";
import { usePortfolioLive } from "./queries";
import { StatementsPanel } from "./StatementsPanel";
import { SummaryPanel } from "./SummaryPanel";

/** My portfolio: totals and cash, holdings, P&L, the cash-flow calendar and documents, kept live. */
export function PortfolioScreen() {
  usePortfolioLive();
  return (
    <Page title="Portfolio">
      <SummaryPanel />
      <HoldingsTable />
      <PnlPanel />
      <CashflowCalendar />
      <StatementsPanel />
      <WalletCard />
    </Page>
  );
}
