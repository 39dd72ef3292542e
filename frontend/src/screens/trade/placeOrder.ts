/** Sending the ticket: `POST /api/v1/orders`, retry-safe, with the server's field errors put on the form. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import type { UseFormReturn } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { ApiProblem } from "../../api/problem";
import { fieldOfProblem, orderRequest, randomId, type OrderCreate, type TicketValues } from "../../lib/ticket";
import { refreshOrders } from "./queries";

/** An order being placed: sent again with the same ids until the server has answered it. */
interface Placement {
  request: OrderCreate;
  clientOrderId: string;
  idempotencyKey: string;
}

/**
 * The mutation that places the ticket's order and the form's submit handler. Each new order
 * gets a fresh `client_order_id` and `Idempotency-Key`; after a network failure or a 5xx the
 * same order keeps them, so sending it again cannot place it twice.
 */
export function usePlaceOrder(instrumentId: string, form: UseFormReturn<TicketValues>) {
  const queryClient = useQueryClient();
  const placement = useRef<Placement | null>(null);
  const place = useMutation({
    mutationFn: (attempt: Placement) =>
      unwrap(
        api.POST("/api/v1/orders", {
          body: { ...attempt.request, client_order_id: attempt.clientOrderId },
          params: { header: { "idempotency-key": attempt.idempotencyKey } },
        }),
      ),
    onSuccess: () => {
      placement.current = null;
    },
    onError: (error) => {
      if (!(error instanceof ApiProblem)) return;
      if (error.status < 500) placement.current = null; // refused: a retry is a new order
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
  });

  const submit = form.handleSubmit((values) => {
    const request = orderRequest(values, instrumentId, "");
    const previous = placement.current;
    const same = previous !== null && JSON.stringify(previous.request) === JSON.stringify(request);
    placement.current = same ? previous : { request, clientOrderId: randomId("web-"), idempotencyKey: randomId() };
    place.mutate(placement.current);
  });

  return { place, submit };
}
