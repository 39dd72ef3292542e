import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { api, unwrap, type components } from "../../api/client";
import { errorMessage } from "../../api/problem";
import { Table } from "../../components/DataTable";
import { FilterSelect } from "../../components/FilterBar";
import { InstrumentById } from "../../components/InstrumentName";
import { SideLabel } from "../../components/SideLabel";
import { ErrorNotice } from "../../components/States";
import { BALANCES_KEY } from "../../lib/balances";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { formatDateTime, humanize } from "../../lib/format";
import { useLiveChannel, useRefresher } from "../../lib/live";
import { OPEN_STATES, ORDER_STATES, ORDER_TYPES } from "../../lib/orders";
import { HistoryFilters } from "./HistoryFilters";
import { HistoryList } from "./HistoryList";
import { NO_ORDER_FILTERS, ordersQuery, type OrderFilters } from "./filters";
import { useCursorList } from "./paging";
import styles from "./History.module.css";

type Order = components["schemas"]["OrderOut"];

const PAGE_SIZE = 50;
const ORDERS_KEY = ["orders"] as const;
const SIDES = ["buy", "sell"] as const;
const STATUSES = ["open", ...ORDER_STATES] as const;
const HEADINGS = [
  { header: "Time" },
  { header: "Instrument" },
  { header: "Side" },
  { header: "Type" },
  { header: "TIF" },
  { header: "Price / yield", num: true },
  { header: "Quantity", num: true },
  { header: "Filled", num: true },
  { header: "Status" },
  { header: "Reject reason" },
  { header: "Actions" },
];

/** My orders, newest first, filtered and paged, with a cancel for each open one. */
export function OrdersTab({
  filters,
  onFilters,
}: {
  filters: OrderFilters;
  onFilters: (next: OrderFilters) => void;
}) {
  const query = ordersQuery(filters);
  const list = useCursorList(
    ["orders", "history", query],
    (cursor) => unwrap(api.GET("/api/v1/orders", { params: { query: { ...query, limit: PAGE_SIZE, cursor } } })),
  );
  const refresh = useRefresher(ORDERS_KEY);
  useLiveChannel("orders", refresh);
  const cancel = useCancelOrder();

  return (
    <>
      <HistoryFilters
        label="Filter orders"
        value={filters}
        onChange={onFilters}
        onClear={() => onFilters(NO_ORDER_FILTERS)}
      >
        <FilterSelect
          label="Side"
          value={filters.side}
          onChange={(side) => onFilters({ ...filters, side })}
          options={SIDES}
          any="Buy and sell"
        />
        <FilterSelect
          label="Status"
          value={filters.status}
          onChange={(status) => onFilters({ ...filters, status })}
          options={STATUSES}
          any="Any status"
          optionLabel={(status) => (status === "open" ? "Open (can still trade)" : humanize(status))}
        />
      </HistoryFilters>
      <ErrorNotice message={cancel.isError ? `Could not cancel the order: ${errorMessage(cancel.error)}` : null} />
      <HistoryList
        list={list}
        filters={filters}
        noun={{ one: "order", many: "orders" }}
        emptyHint={
          <>
            You have not placed any orders yet. Pick a bond on the <Link to="/markets">Markets</Link> page to place one.
          </>
        }
      >
        {(orders) => (
          <Table headings={HEADINGS} label="Orders">
            <tbody>
              {orders.map((order) => (
                <OrderRow
                  key={order.id}
                  order={order}
                  cancelling={cancel.isPending && cancel.variables === order.id}
                  onCancel={() => cancel.mutate(order.id)}
                />
              ))}
            </tbody>
          </Table>
        )}
      </HistoryList>
    </>
  );
}

/** Cancel one of my open orders; my orders, balances and portfolio change with it. */
function useCancelOrder() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (orderId: string) =>
      unwrap(api.DELETE("/api/v1/orders/{order_id}", { params: { path: { order_id: orderId } } })),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ORDERS_KEY }),
        queryClient.invalidateQueries({ queryKey: ["portfolio"] }),
        queryClient.invalidateQueries({ queryKey: BALANCES_KEY }),
      ]),
  });
}

/** One order. */
function OrderRow({ order, cancelling, onCancel }: { order: Order; cancelling: boolean; onCancel: () => void }) {
  return (
    <tr>
      <td>{formatDateTime(order.created_at, { seconds: true })}</td>
      <td>
        <InstrumentById id={order.instrument_id} />
      </td>
      <td>
        <SideLabel side={order.side} />
      </td>
      <td>{ORDER_TYPES[order.order_type]}</td>
      <td>{order.time_in_force.toUpperCase()}</td>
      <td className="num">
        <OrderPrice order={order} />
      </td>
      <td className="num">{formatQuantity(order.quantity)}</td>
      <td className="num">{formatQuantity(order.filled_quantity)}</td>
      <td>
        <span className="badge">{humanize(order.status)}</span>
      </td>
      <td className={styles.reason}>{order.reject_reason ?? ""}</td>
      <td>
        {OPEN_STATES.has(order.status) && (
          <button type="button" onClick={onCancel} disabled={cancelling} aria-busy={cancelling}>
            Cancel
          </button>
        )}
      </td>
    </tr>
  );
}

/** The limit (or a market order's protection price), with the yield it was sent at and any stop. */
function OrderPrice({ order }: { order: Order }) {
  return (
    <>
      {order.order_type === "market" ? <span className="muted">Market</span> : formatPrice(order.price, 4)}
      {order.limit_yield !== null && <small className={styles.note}>yield {formatPrice(order.limit_yield)}%</small>}
      {order.stop_price !== null && <small className={styles.note}>stop {formatPrice(order.stop_price, 4)}</small>}
    </>
  );
}
