import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Panel } from "../../components/Panel";
import { ErrorNotice } from "../../components/States";
import { errorMessage } from "../../api/problem";
import { auctionKey, STEP_LABELS, stepsFor, type Auction, type Step } from "./auctions";
import styles from "./Auctions.module.css";

/** Take a lifecycle step now. */
function takeStep(step: Step, auctionId: string) {
  const params = { params: { path: { auction_id: auctionId } } };
  switch (step) {
    case "announce":
      return unwrap(api.POST("/api/v1/auctions/{auction_id}/announce", params));
    case "open":
      return unwrap(api.POST("/api/v1/auctions/{auction_id}/open", params));
    case "close":
      return unwrap(api.POST("/api/v1/auctions/{auction_id}/close", params));
    case "clear":
      return unwrap(api.POST("/api/v1/auctions/{auction_id}/clear", params));
    case "settle":
      return unwrap(api.POST("/api/v1/auctions/{auction_id}/settle", params));
    case "cancel":
      return unwrap(api.POST("/api/v1/auctions/{auction_id}/cancel", params));
  }
}

/** The issuer's and admins' buttons for the steps valid from the auction's status (cancel asks first). */
export function StepButtons({ auction }: { auction: Auction }) {
  const queryClient = useQueryClient();
  const [cancelling, setCancelling] = useState(false);
  const step = useMutation({
    mutationFn: (next: Step) => takeStep(next, auction.id),
    onSuccess: (updated) => {
      setCancelling(false);
      queryClient.setQueryData(auctionKey(auction.id), updated);
      return queryClient.invalidateQueries({ queryKey: auctionKey(auction.id) });
    },
  });
  const steps = stepsFor(auction.status);
  if (steps.length === 0) return null;
  return (
    <Panel title="Run the auction">
      <div className={styles.steps}>
        {steps.map((next) => (
          <button
            key={next}
            type="button"
            className={next === "cancel" ? undefined : "primary"}
            disabled={step.isPending}
            onClick={() => {
              step.reset();
              if (next === "cancel") setCancelling(true);
              else step.mutate(next);
            }}
          >
            {step.isPending && step.variables === next ? "Working…" : STEP_LABELS[next]}
          </button>
        ))}
      </div>
      {!cancelling && <ErrorNotice message={step.error ? errorMessage(step.error) : null} />}
      {cancelling && (
        <ConfirmDialog
          title="Cancel this auction?"
          confirmLabel="Cancel auction"
          danger
          pending={step.isPending}
          error={step.error}
          onConfirm={() => step.mutate("cancel")}
          onClose={() => setCancelling(false)}
        >
          <p>Every bid's reserved cash is released. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}
