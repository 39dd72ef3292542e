import { Link } from "@tanstack/react-router";
import { api, unwrap } from "../../api/client";
import { useLiveChannel, useRefresher } from "../../lib/live";
import { TradesTable } from "../../components/TradesTable";
import { HistoryFilters } from "./HistoryFilters";
import { HistoryList } from "./HistoryList";
import { NO_TRADE_FILTERS, tradesQuery, type TradeFilters } from "./filters";
import { useCursorList } from "./paging";

const PAGE_SIZE = 50;
const TRADES_KEY = ["trades"] as const;

/** My fills, newest first, filtered and paged, each with its contract note. */
export function TradesTab({
  filters,
  onFilters,
}: {
  filters: TradeFilters;
  onFilters: (next: TradeFilters) => void;
}) {
  const query = tradesQuery(filters);
  const list = useCursorList(["trades", "history", query], (cursor) =>
    unwrap(api.GET("/api/v1/trades", { params: { query: { ...query, limit: PAGE_SIZE, cursor } } })),
  );
  const refresh = useRefresher(TRADES_KEY);
  useLiveChannel("fills", refresh);

  return (
    <>
      <HistoryFilters
        label="Filter trades"
        value={filters}
        onChange={onFilters}
        onClear={() => onFilters(NO_TRADE_FILTERS)}
      />
      <HistoryList
        list={list}
        filters={filters}
        noun={{ one: "trade", many: "trades" }}
        emptyHint={
          <>
            No trades yet: they appear here when your orders fill. Pick a bond on the{" "}
            <Link to="/markets">Markets</Link> page to trade.
          </>
        }
      >
        {(trades) => <TradesTable trades={trades} label="Trades" />}
      </HistoryList>
    </>
  );
}
