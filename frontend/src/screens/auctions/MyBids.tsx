import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, unwrap, type components } from "../../api/client";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { FormFooter } from "../../components/FormFooter";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { currencyScale, formatMoney, formatQuantity } from "../../lib/decimal";
import { formatDateTime } from "../../lib/format";
import { useFormProblem } from "../../lib/formProblem";
import { auctionKey, BID_STATUS_TONES, bidQuote, bidSchema, myBidsQuery, type Auction, type Bid, type BidValues } from "./auctions";
import styles from "./Auctions.module.css";
import { quoteLabel } from "./BidForm";

/** My bids in this auction; while bidding, each active one can be amended or withdrawn. */
export function MyBids({ auction }: { auction: Auction }) {
  const queryClient = useQueryClient();
  const bids = useQuery(myBidsQuery(auction.id));
  const [amending, setAmending] = useState<Bid | null>(null);
  const [withdrawing, setWithdrawing] = useState<Bid | null>(null);
  const scale = currencyScale(auction.currency);
  const bidding = auction.status === "bidding";
  const withdraw = useMutation({
    mutationFn: (bid: Bid) =>
      unwrap(api.DELETE("/api/v1/auctions/{auction_id}/bids/{bid_id}", { params: { path: { auction_id: auction.id, bid_id: bid.id } } })),
    onSuccess: () => {
      setWithdrawing(null);
      return queryClient.invalidateQueries({ queryKey: auctionKey(auction.id) });
    },
  });

  const columns: Column<Bid>[] = [
    { header: "Bid", rowHeader: true, cell: (bid) => `#${bid.number}` },
    { header: "Type", cell: (bid) => (bid.competitive ? "Competitive" : "Non-competitive") },
    { header: auction.basis === "price" ? "Price" : "Yield", num: true, cell: (bid) => bidQuote(bid) ?? "—" },
    { header: "Units", num: true, cell: (bid) => formatQuantity(bid.quantity) },
    { header: "Reserved", num: true, cell: (bid) => formatMoney(bid.reserved, scale, auction.currency) },
    { header: "Status", cell: (bid) => <StatusBadge status={bid.status} tone={BID_STATUS_TONES[bid.status]} /> },
    { header: "Placed", cell: (bid) => formatDateTime(bid.created_at) },
  ];
  if (bidding) {
    columns.push({
      header: <span className="sr-only">Actions</span>,
      cell: (bid) =>
        bid.status === "active" ? (
          <div className={styles.rowActions}>
            {auction.format !== "english" && (
              <button type="button" aria-label={`Amend bid #${bid.number}`} onClick={() => setAmending(bid)}>
                Amend
              </button>
            )}
            <button
              type="button"
              aria-label={`Withdraw bid #${bid.number}`}
              onClick={() => {
                withdraw.reset();
                setWithdrawing(bid);
              }}
            >
              Withdraw
            </button>
          </div>
        ) : null,
    });
  }

  return (
    <Panel title="My bids">
      <QueryState query={bids} isEmpty={(list) => list.length === 0} empty="You have not bid in this auction.">
        {(list) => <DataTable label="My bids" columns={columns} rows={list} rowKey={(bid) => bid.id} />}
      </QueryState>
      {amending && bidding && (
        <AmendForm key={amending.id} auction={auction} bid={amending} onDone={() => setAmending(null)} />
      )}
      {withdrawing && (
        <ConfirmDialog
          title={`Withdraw bid #${withdrawing.number}?`}
          confirmLabel="Withdraw bid"
          danger
          pending={withdraw.isPending}
          error={withdraw.error}
          onConfirm={() => withdraw.mutate(withdrawing)}
          onClose={() => setWithdrawing(null)}
        >
          <p>
            {formatQuantity(withdrawing.quantity)} units{bidQuote(withdrawing) ? ` at ${bidQuote(withdrawing)}` : ""}. Its
            reserved cash is released.
          </p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

/** Change one of my bids' units or quote (a competitive bid stays competitive). */
function AmendForm({ auction, bid, onDone }: { auction: Auction; bid: Bid; onDone: () => void }) {
  const queryClient = useQueryClient();
  const form = useForm<BidValues>({
    resolver: zodResolver(bidSchema(auction)),
    defaultValues: {
      competitive: bid.competitive,
      quote: (auction.basis === "price" ? bid.price : bid.yield_percent) ?? "",
      quantity: String(bid.quantity),
    },
  });
  const problem = useFormProblem(form.setError, ["quantity"]);
  const amend = useMutation({
    mutationFn: (values: BidValues) => {
      const body: components["schemas"]["BidAmend"] = { quantity: Number(values.quantity) };
      if (bid.competitive) body[auction.basis === "price" ? "price" : "yield_percent"] = values.quote.trim();
      return unwrap(
        api.PATCH("/api/v1/auctions/{auction_id}/bids/{bid_id}", { params: { path: { auction_id: auction.id, bid_id: bid.id } }, body }),
      );
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: auctionKey(auction.id) });
      onDone();
    },
    onError: problem.show,
  });
  const { register, formState } = form;
  return (
    <form
      noValidate
      className={styles.amend}
      aria-label={`Amend bid #${bid.number}`}
      onSubmit={form.handleSubmit((values) => {
        problem.clear();
        amend.mutate(values);
      })}
    >
      {bid.competitive && (
        <Field label={quoteLabel(auction)} error={formState.errors.quote?.message}>
          <input inputMode="decimal" autoComplete="off" {...register("quote")} />
        </Field>
      )}
      <Field label="Units" error={formState.errors.quantity?.message}>
        <input inputMode="numeric" autoComplete="off" {...register("quantity")} />
      </Field>
      <FormFooter message={problem.message} pending={amend.isPending}>
        Save bid #{bid.number}
      </FormFooter>
      <div>
        <button type="button" onClick={onDone} disabled={amend.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
