/** Sending the ticket: `POST /api/v1/orders`, retry-safe, with the server's field errors put on the form. */
import { useQueryClient } from "@tanstack/react-query";
import type { UseFormReturn } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { ApiProblem } from "../../api/problem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { fieldOfProblem, orderRequest, type OrderCreate, type TicketValues } from "../../lib/ticket";
import { refreshOrders } from "./queries";

/**
 * The mutation that places the ticket's order and the form's submit handler. Each new order
 * gets a fresh `Idempotency-Key` and a `client_order_id` made from it; after a network failure
 * or a 5xx the same order keeps them, so sending it again cannot place it twice.
 */
export function usePlaceOrder(instrumentId: string, form: UseFormReturn<TicketValues>) {
  const queryClient = useQueryClient();
  const place = useIdempotentMutation(
    (request: OrderCreate, keyFor) => {
      const key = keyFor(request);
      return unwrap(
        api.POST("/api/v1/orders", {
          body: { ...request, client_order_id: `web-${key}` },
          params: withIdempotencyKey(key),
        }),
      );
    },
    {
      onError: (error) => {
        if (!(error instanceof ApiProblem)) return;
        const values = form.getValues();
        for (const problem of error.errors) {
          const field = fieldOfProblem(problem.field, values);
          if (field) form.setError(field, { type: "server", message: problem.message });
        }
      },
      onSettled: () => {
        void refreshOrders(queryClient, instrumentId);
        void queryClient.invalidateQueries({ queryKey: ["trades"] });
      },
    },
  );

  const submit = form.handleSubmit((values) => place.mutate(orderRequest(values, instrumentId, "")));

  return { place, submit };
}
