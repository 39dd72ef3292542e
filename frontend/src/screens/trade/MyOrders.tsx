import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/problem";
import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { SideLabel } from "../../components/SideLabel";
import { ErrorNotice, QueryState } from "../../components/States";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { formatDateTime, tickDigits } from "../../lib/format";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { ORDER_STATUSES, ORDER_TYPES } from "../../lib/orders";
import { openOrdersQuery, refreshOrders, type Instrument, type Order } from "./queries";
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
  const cancelAll = useIdempotentMutation(
    (_: void, keyFor) => {
      const body = { instrument_id: instrument.id };
      return unwrap(api.POST("/api/v1/orders/cancel-all", { body, params: withIdempotencyKey(keyFor(body)) }));
    },
    { onSettled: refresh },
  );
  const failure = cancel.error ?? cancelAll.error;
  const digits = tickDigits(instrument.tick_size);

  const columns: Column<Order>[] = [
    { header: "Placed", cell: (order) => formatDateTime(order.created_at) },
    { header: "Side", cell: (order) => <SideLabel side={order.side} /> },
    {
      header: "Type",
      cell: (order) => (
        <>
          {ORDER_TYPES[order.order_type]} · {order.time_in_force.toUpperCase()}
          {order.post_only && " · post only"}
        </>
      ),
    },
    {
      header: "Price",
      num: true,
      cell: (order) => (
        <>
          {formatPrice(order.price, digits)}
          {order.limit_yield && <span className="muted"> ({formatPrice(order.limit_yield)}%)</span>}
          {order.stop_price && <span className="muted"> stop {formatPrice(order.stop_price, digits)}</span>}
        </>
      ),
    },
    { header: "Units", num: true, cell: (order) => formatQuantity(order.quantity) },
    { header: "Filled", num: true, cell: (order) => formatQuantity(order.filled_quantity) },
    { header: "Open", num: true, cell: (order) => formatQuantity(order.leaves_quantity) },
    { header: "Status", cell: (order) => ORDER_STATUSES[order.status] },
    {
      header: <span className="sr-only">Actions</span>,
      cell: (order) => (
        <button
          type="button"
          aria-label={`Cancel ${order.side} order for ${formatQuantity(order.leaves_quantity)} units at ${formatPrice(order.price, digits)}`}
          disabled={cancel.isPending && cancel.variables === order.id}
          onClick={() => {
            cancelAll.reset();
            cancel.mutate(order.id);
          }}
        >
          Cancel
        </button>
      ),
    },
  ];

  return (
    <Panel
      title="My open orders"
      className={styles.ordersPanel}
      actions={
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
      }
    >
      <ErrorNotice message={failure ? errorMessage(failure) : null} />
      {cancelAll.isSuccess && (
        <p className="notice" role="status">
          {cancelAll.data.cancelled.length === 1 ? "1 order cancelled." : `${cancelAll.data.cancelled.length} orders cancelled.`}
        </p>
      )}
      <QueryState query={orders} isEmpty={(list) => list.length === 0} empty="No open orders in this bond.">
        {(list) => <DataTable columns={columns} rows={list} rowKey={(order) => order.id} className={styles.compact} />}
      </QueryState>
    </Panel>
  );
}
