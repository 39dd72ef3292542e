import { getRouteApi } from "@tanstack/react-router";
import { useState } from "react";
import { Page } from "../../components/Page";
import { NO_ORDER_FILTERS, NO_TRADE_FILTERS, type OrderFilters, type TradeFilters } from "./filters";
import { OrdersTab } from "./OrdersTab";
import { Tabs } from "../../components/Tabs";
import { TradesTab } from "./TradesTab";

type HistoryTab = "orders" | "trades";

const route = getRouteApi("/history");

/** My orders and my trades, in two tabs (`?tab=trades` opens on the trades); each tab's filters survive switching between them. */
export function HistoryScreen() {
  const [tab, setTab] = useState<HistoryTab>(route.useSearch().tab ?? "orders");
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
