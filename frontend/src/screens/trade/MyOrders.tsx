import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/problem";
import { QueryState } from "../../components/States";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { randomId } from "../../lib/ticket";
import { formatDateTime, tickDigits } from "../markets/format";
import { ORDER_STATUSES, ORDER_TYPES } from "./labels";
import { openOrdersQuery, refreshOrders, type Instrument } from "./queries";
import styles from "./Trade.module.css";

/** My open orders in this instrument, live, with a cancel for each and for all. */
export function MyOrders({ instrument }: { instrument: Instrument }) {
  const queryClient = useQueryClient();
  const orders = useQuery(openOrdersQuery(instrument.id));
  const refresh = () => refreshOrders(queryClient, instrument.id);
  const cancel = useMutation({
    mutationFn: (orderId: string) => unwrap(api.DELETE("/api/v1/orders/{order_id}", { params: { path: { order_id: orderId } } })),
    onSettled: refresh,
  });
  const cancelAll = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/orders/cancel-all", {
          body: { instrument_id: instrument.id },
          params: { header: { "idempotency-key": randomId() } },
        }),
      ),
    onSettled: refresh,
  });
  const failure = cancel.error ?? cancelAll.error;
  const digits = tickDigits(instrument.tick_size);

  return (
    <section className={`panel ${styles.ordersPanel}`} aria-labelledby="orders-title">
      <div className={styles.panelHeader}>
        <h2 id="orders-title">My open orders</h2>
        <button
          type="button"
          disabled={!orders.data?.length || cancelAll.isPending}
          onClick={() => {
            cancel.reset();
            cancelAll.mutate();
          }}
        >
          {cancelAll.isPending ? "Cancelling…" : "Cancel all orders"}
        </button>
      </div>
      {failure && (
        <p className="notice notice-error" role="alert">
          {errorMessage(failure)}
        </p>
      )}
      {cancelAll.isSuccess && (
        <p className="notice" role="status">
          {cancelAll.data.cancelled.length === 1 ? "1 order cancelled." : `${cancelAll.data.cancelled.length} orders cancelled.`}
        </p>
      )}
      <QueryState query={orders} isEmpty={(list) => list.length === 0} empty="No open orders in this bond.">
        {(list) => (
          <div className="table-scroll">
            <table className={styles.compact}>
              <thead>
                <tr>
                  <th scope="col">Placed</th>
                  <th scope="col">Side</th>
                  <th scope="col">Type</th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col" className="num">
                    Units
                  </th>
                  <th scope="col" className="num">
                    Filled
                  </th>
                  <th scope="col" className="num">
                    Open
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className={styles.srOnly}>Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((order) => {
                  const price = formatPrice(order.price, digits);
                  return (
                    <tr key={order.id}>
                      <td>{formatDateTime(order.created_at)}</td>
                      <td className={order.side === "buy" ? "buy-text" : "sell-text"}>{order.side === "buy" ? "Buy" : "Sell"}</td>
                      <td>
                        {ORDER_TYPES[order.order_type]} · {order.time_in_force.toUpperCase()}
                        {order.post_only && " · post only"}
                      </td>
                      <td className="num">
                        {price}
                        {order.limit_yield && <span className="muted"> ({formatPrice(order.limit_yield)}%)</span>}
                        {order.stop_price && <span className="muted"> stop {formatPrice(order.stop_price, digits)}</span>}
                      </td>
                      <td className="num">{formatQuantity(order.quantity)}</td>
                      <td className="num">{formatQuantity(order.filled_quantity)}</td>
                      <td className="num">{formatQuantity(order.leaves_quantity)}</td>
                      <td>{ORDER_STATUSES[order.status]}</td>
                      <td>
                        <button
                          type="button"
                          aria-label={`Cancel ${order.side} order for ${formatQuantity(order.leaves_quantity)} units at ${price}`}
                          disabled={cancel.isPending && cancel.variables === order.id}
                          onClick={() => {
                            cancelAll.reset();
                            cancel.mutate(order.id);
                          }}
                        >
                          Cancel
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
