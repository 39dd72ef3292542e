import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { api, unwrap, type components } from "../../api/client";
import { errorMessage } from "../../api/problem";
import { Field } from "../../components/Field";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { formatDateTime, humanize } from "../portfolio/shared/format";
import { InstrumentById } from "../portfolio/shared/InstrumentCell";
import { useLiveChannel, useRefresher } from "../portfolio/shared/live";
import { SideLabel } from "../portfolio/shared/SideLabel";
import { HistoryFilters } from "./HistoryFilters";
import { HistoryList } from "./HistoryList";
import { NO_ORDER_FILTERS, OPEN_STATES, ORDER_STATES, ordersQuery, type OrderFilters } from "./filters";
import { useCursorList } from "./paging";
import styles from "./History.module.css";

type Order = components["schemas"]["OrderOut"];

const PAGE_SIZE = 50;
const ORDERS_KEY = ["orders"] as const;

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
    filters,
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
        <Field label="Side">
          <select
            value={filters.side}
            onChange={(event) => onFilters({ ...filters, side: event.target.value as OrderFilters["side"] })}
          >
            <option value="">Buy and sell</option>
            <option value="buy">Buy</option>
            <option value="sell">Sell</option>
          </select>
        </Field>
        <Field label="Status">
          <select
            value={filters.status}
            onChange={(event) => onFilters({ ...filters, status: event.target.value as OrderFilters["status"] })}
          >
            <option value="">Any status</option>
            <option value="open">Open (can still trade)</option>
            {ORDER_STATES.map((state) => (
              <option key={state} value={state}>
                {humanize(state)}
              </option>
            ))}
          </select>
        </Field>
      </HistoryFilters>
      {cancel.isError && (
        <p className="notice notice-error" role="alert">
          Could not cancel the order: {errorMessage(cancel.error)}
        </p>
      )}
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
          <div className="table-scroll">
            <table aria-label="Orders">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Instrument</th>
                  <th scope="col">Side</th>
                  <th scope="col">Type</th>
                  <th scope="col">TIF</th>
                  <th scope="col" className="num">Price / yield</th>
                  <th scope="col" className="num">Quantity</th>
                  <th scope="col" className="num">Filled</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reject reason</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
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
            </table>
          </div>
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
        queryClient.invalidateQueries({ queryKey: ["accounts"] }),
      ]),
  });
}

/** One order. */
function OrderRow({ order, cancelling, onCancel }: { order: Order; cancelling: boolean; onCancel: () => void }) {
  return (
    <tr>
      <td>{formatDateTime(order.created_at)}</td>
      <td>
        <InstrumentById id={order.instrument_id} />
      </td>
      <td>
        <SideLabel side={order.side} />
      </td>
      <td>{humanize(order.order_type)}</td>
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
