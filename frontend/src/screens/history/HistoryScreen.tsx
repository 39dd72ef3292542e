import { useState } from "react";
import { Page } from "../../components/Page";
import { NO_ORDER_FILTERS, NO_TRADE_FILTERS, type OrderFilters, type TradeFilters } from "./filters";
import { OrdersTab } from "./OrdersTab";
import { Tabs } from "../../components/Tabs";
import { TradesTab } from "./TradesTab";

type HistoryTab = "orders" | "trades";

/** My orders and my trades, in two tabs; each tab's filters survive switching between them. */
export function HistoryScreen() {
  const [tab, setTab] = useState<HistoryTab>("orders");
  const [orderFilters, setOrderFilters] = useState<OrderFilters>(NO_ORDER_FILTERS);
  const [tradeFilters, setTradeFilters] = useState<TradeFilters>(NO_TRADE_FILTERS);
  return (
    <Page title="Orders and trades">
      <Tabs
        label="History"
        selected={tab}
        onSelect={setTab}
        tabs={[
          { key: "orders", label: "Orders", panel: <OrdersTab filters={orderFilters} onFilters={setOrderFilters} /> },
          { key: "trades", label: "Trades", panel: <TradesTab filters={tradeFilters} onFilters={setTradeFilters} /> },
        ]}
      />
    </Page>
  );
}
