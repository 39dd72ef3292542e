import { zodResolver } from "@hookform/resolvers/zod";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormFooter } from "../../components/FormFooter";
import { Panel } from "../../components/Panel";
import { formatQuantity } from "../../lib/decimal";
import { useFormProblem } from "../../lib/formProblem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { auctionKey, bidRequest, bidSchema, offersNonCompetitive, type Auction, type BidValues } from "./auctions";
import styles from "./Auctions.module.css";

/** The field label of a quote in this auction's basis. */
export function quoteLabel(auction: Pick<Auction, "basis">): string {
  return auction.basis === "price" ? "Price (per 100)" : "Yield (%)";
}

/** Place a bid while the auction is bidding: competitive at a price or yield, or non-competitive when offered. */
export function BidForm({ auction }: { auction: Auction }) {
  const queryClient = useQueryClient();
  const english = auction.format === "english";
  const nonCompetitive = offersNonCompetitive(auction);
  const [placed, setPlaced] = useState<number | null>(null);
  const form = useForm<BidValues>({
    resolver: zodResolver(bidSchema(auction, { minimumBid: auction.english?.minimum_bid ?? null })),
    defaultValues: { competitive: true, quote: "", quantity: english ? String(auction.offering) : "" },
  });
  const { register, handleSubmit, formState, watch, setValue } = form;
  const competitive = watch("competitive");
  const problem = useFormProblem(form.setError, ["quantity"], {
    "auction.bid_below_minimum": "quote",
    "auction.bid_not_whole_offering": "quantity",
  });
  const place = useIdempotentMutation(
    (values: BidValues, keyFor) => {
      const body = bidRequest(auction, values);
      return unwrap(
        api.POST("/api/v1/auctions/{auction_id}/bids", {
          params: { path: { auction_id: auction.id }, ...withIdempotencyKey(keyFor(body)) },
          body,
        }),
      );
    },
    {
      onSuccess: (bid, values) => {
        setPlaced(bid.number);
        form.reset({ ...values, quote: "" });
        return queryClient.invalidateQueries({ queryKey: auctionKey(auction.id) });
      },
      onError: problem.show,
    },
  );

  const quantityHint = english
    ? `The whole offering: ${formatQuantity(auction.offering)} units.`
    : `At least ${formatQuantity(auction.min_bid)} units, in multiples of ${formatQuantity(auction.bid_multiple)}.`;
  const quoteHint = english
    ? `At least ${auction.english?.minimum_bid ?? "—"}.`
    : auction.basis === "price"
      ? `In steps of ${auction.bond.tick_size}.`
      : "Up to 4 decimals.";

  return (
    <Panel title="Place a bid">
      {placed !== null && (
        <p className="notice notice-success" role="status">
          Bid #{placed} placed; its cash is reserved.
        </p>
      )}
      <form
        noValidate
        className={styles.bidForm}
        onSubmit={handleSubmit((values) => {
          problem.clear();
          setPlaced(null);
          place.mutate(values);
        })}
      >
        {nonCompetitive && (
          <fieldset className={styles.choices}>
            <legend>Bid type</legend>
            <label>
              <input type="radio" checked={competitive} onChange={() => setValue("competitive", true)} /> Competitive
            </label>{" "}
            <label>
              <input type="radio" checked={!competitive} onChange={() => setValue("competitive", false)} /> Non-competitive (at the auction's price)
            </label>
          </fieldset>
        )}
        {competitive && (
          <Field label={quoteLabel(auction)} error={formState.errors.quote?.message} hint={quoteHint}>
            <input inputMode="decimal" autoComplete="off" {...register("quote")} />
          </Field>
        )}
        <Field label="Units" error={formState.errors.quantity?.message} hint={quantityHint}>
          <input inputMode="numeric" autoComplete="off" readOnly={english} {...register("quantity")} />
        </Field>
        <FormFooter message={problem.message} pending={place.isPending}>
          {place.isPending ? "Placing…" : "Place bid"}
        </FormFooter>
      </form>
    </Panel>
  );
}
