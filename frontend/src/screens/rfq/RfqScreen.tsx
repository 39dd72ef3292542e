import { zodResolver } from "@hookform/resolvers/zod";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/problem";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { DownloadButton } from "../../components/DownloadButton";
import { Field } from "../../components/Field";
import { FormFooter } from "../../components/FormFooter";
import { LiveStatus } from "../../components/LiveStatus";
import { Page } from "../../components/Page";
import { Panel } from "../../components/Panel";
import { SideLabel } from "../../components/SideLabel";
import { Empty, ErrorNotice, ErrorState, Loading } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { Term, Terms } from "../../components/Terms";
import { formatDuration } from "../../lib/countdown";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { formatDateTime, formatTime } from "../../lib/format";
import { useFormProblem } from "../../lib/formProblem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { useNow } from "../../lib/useNow";
import { storeRfq } from "./cache";
import { DealerTicket } from "./DealerTicket";
import { useLiveRfqs } from "./live";
import { OutcomeBadge, RfqStatusBadge, TimeLeft, useBond, usePriceDigits } from "./parts";
import {
  bestQuote,
  canAccept,
  counterSchema,
  heldQuote,
  isLive,
  QUOTE_TONES,
  rejectionReason,
  rfqKey,
  rfqQuery,
  sortQuotes,
  type Quote,
  type Rfq,
} from "./rfq";
import styles from "./Rfq.module.css";

const route = getRouteApi("/rfqs/$rfqId");

/** One RFQ, live: the requester's quotes to take or counter; a dealer's own ticket on it. */
export function RfqScreen() {
  const { rfqId } = route.useParams();
  useLiveRfqs();
  const rfq = useQuery(rfqQuery(rfqId));
  if (rfq.isPending) {
    return (
      <Page title="RFQ">
        <Loading />
      </Page>
    );
  }
  if (rfq.isError) {
    return (
      <Page title="RFQ">
        <ErrorState error={rfq.error} onRetry={() => void rfq.refetch()} />
        <p>
          <Link to="/rfqs">Back to my RFQs</Link>
        </p>
      </Page>
    );
  }
  return rfq.data.role === "dealer" ? <DealerPage rfq={rfq.data} /> : <RequesterPage rfq={rfq.data} />;
}

/** The page's title: the RFQ's bond. */
function useTitle(rfq: Rfq): string {
  return `RFQ: ${useBond(rfq.instrument_id)?.name ?? rfq.isin}`;
}

function DealerPage({ rfq }: { rfq: Rfq }) {
  return (
    <Page title={useTitle(rfq)} actions={isLive(rfq) ? <LiveStatus /> : undefined}>
      <p>
        <Link to="/blotter">Dealer blotter</Link>
      </p>
      <DealerTicket rfq={rfq} level="h2" />
    </Page>
  );
}

/** What a screen reader hears when the RFQ moves on (not the ticking countdowns). */
function statusSentence(rfq: Rfq, digits: number | undefined): string {
  switch (rfq.status) {
    case "open": {
      const live = rfq.quotes.filter((quote) => quote.status === "live").length;
      return live === 0 ? "No quotes yet." : `${live} live ${live === 1 ? "quote" : "quotes"}.`;
    }
    case "last_look":
      return "Waiting for the dealer's last look.";
    case "done":
      return `The request is done: traded at ${formatPrice(rfq.price, digits)}.`;
    default:
      return `The RFQ ${rfq.status === "expired" ? "expired" : "was cancelled"}.`;
  }
}

/** The requester's (or an observer's) view: the state of play, the quotes, the request and its dealers. */
function RequesterPage({ rfq }: { rfq: Rfq }) {
  const requester = rfq.role === "requester";
  const digits = usePriceDigits(rfq.instrument_id);
  const now = useNow(rfq.status === "last_look" ? 100 : 1_000, isLive(rfq));
  return (
    <Page
      title={useTitle(rfq)}
      actions={
        <>
          <RfqStatusBadge status={rfq.status} />
          {isLive(rfq) && <LiveStatus />}
        </>
      }
    >
      <p>
        <Link to="/rfqs">All my RFQs</Link>
      </p>
      <p className="sr-only" role="status">
        {statusSentence(rfq, digits)}
      </p>
      <StatusBanner rfq={rfq} now={now} requester={requester} />
      <QuotesPanel rfq={rfq} now={now} canAct={requester && rfq.status === "open"} />
      <div className={styles.halves}>
        <RequestPanel rfq={rfq} now={now} />
        <DealersPanel rfq={rfq} />
      </div>
    </Page>
  );
}

/** Where the RFQ stands: waiting for quotes (with a cancel), in a last look, done (the trade), or over. */
function StatusBanner({ rfq, now, requester }: { rfq: Rfq; now: number; requester: boolean }) {
  const digits = usePriceDigits(rfq.instrument_id);
  const you = requester ? "You" : "The requester";
  if (rfq.status === "open") {
    return (
      <div className={styles.banner}>
        <p>
          Waiting for quotes: dealers may answer for <TimeLeft to={rfq.expires_at} now={now} over="a moment more" />.
        </p>
        {requester && <CancelButton rfq={rfq} />}
      </div>
    );
  }
  if (rfq.status === "last_look") {
    const held = heldQuote(rfq);
    return (
      <div className={`${styles.banner} ${styles.waiting}`}>
        <p>
          <strong>Waiting for {held ? `${held.dealer_name}'s` : "the dealer's"} last look</strong>
          {held ? ` on ${formatPrice(held.price, digits)}` : ""}: <TimeLeft to={rfq.hold_until} now={now} tenths soonMs={2_000} over="any moment" />{" "}
          left. If the dealer rejects it or lets it run out, the request opens again.
        </p>
      </div>
    );
  }
  if (rfq.status === "done") {
    const filled = rfq.quotes.find((quote) => quote.status === "filled");
    const verb = rfq.side === "buy" ? "bought" : "sold";
    return (
      <div className={`${styles.banner} ${styles.done}`}>
        <div>
          <p className={styles.big}>Done at {formatPrice(rfq.price, digits)}</p>
          <p>
            {you} {verb} {formatQuantity(rfq.quantity)} units{filled ? ` from ${filled.dealer_name}` : ""}.{" "}
            {rfq.cover_price ? <>Cover: {formatPrice(rfq.cover_price, digits)}.</> : "No other price to cover it."}
          </p>
        </div>
        {requester && rfq.trade_id && (
          <div className={styles.buttons}>
            <Link to="/history" search={{ tab: "trades" }}>
              See the trade in Orders &amp; trades
            </Link>
            <DownloadButton path={`/api/v1/trades/${rfq.trade_id}/contract-note`} filename={`contract-note-${rfq.trade_id}.pdf`}>
              Contract note
            </DownloadButton>
          </div>
        )}
      </div>
    );
  }
  return (
    <div className={styles.banner}>
      <p>
        {rfq.status === "expired"
          ? `Expired at ${formatDateTime(rfq.ended_at, { seconds: true })}: no quote was taken.`
          : `${requester ? "You cancelled" : "Cancelled"} at ${formatDateTime(rfq.ended_at, { seconds: true })}.`}
      </p>
    </div>
  );
}

function CancelButton({ rfq }: { rfq: Rfq }) {
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const cancel = useIdempotentMutation(
    (_: void, keyFor) =>
      unwrap(
        api.POST("/api/v1/rfqs/{rfq_id}/cancel", {
          params: { path: { rfq_id: rfq.id }, ...withIdempotencyKey(keyFor({ cancel: rfq.id })) },
        }),
      ),
    {
      onSuccess: (next) => {
        setAsking(false);
        storeRfq(queryClient, next);
      },
    },
  );
  return (
    <>
      <button
        type="button"
        onClick={() => {
          cancel.reset();
          setAsking(true);
        }}
      >
        Cancel request
      </button>
      {asking && (
        <ConfirmDialog
          title="Cancel this request?"
          confirmLabel="Cancel request"
          danger
          pending={cancel.isPending}
          error={cancel.error}
          onConfirm={() => cancel.mutate()}
          onClose={() => setAsking(false)}
        >
          <p>The dealers' quotes close, and each dealer learns that you cancelled.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** Every dealer's quotes (standing ones first, best price first), to take or counter while the RFQ is open. */
function QuotesPanel({ rfq, now, canAct }: { rfq: Rfq; now: number; canAct: boolean }) {
  const queryClient = useQueryClient();
  const digits = usePriceDigits(rfq.instrument_id);
  const [countering, setCountering] = useState<string | null>(null);
  const best = bestQuote(rfq, now);
  const verb = rfq.side === "buy" ? "Buy" : "Sell";
  const accept = useIdempotentMutation(
    (quote: Quote, keyFor) => {
      // The price seen goes with the acceptance: the server refuses it if the quote now says another.
      const body = { quote_id: quote.id, price: quote.price };
      return unwrap(
        api.POST("/api/v1/rfqs/{rfq_id}/accept", { params: { path: { rfq_id: rfq.id }, ...withIdempotencyKey(keyFor(body)) }, body }),
      );
    },
    {
      onSuccess: (next) => storeRfq(queryClient, next),
      onError: () => void queryClient.invalidateQueries({ queryKey: rfqKey(rfq.id) }),
    },
  );
  const countered = canAct ? rfq.quotes.find((quote) => quote.id === countering && quote.status === "live") : undefined;

  const columns: Column<Quote>[] = [
    { header: "Dealer", rowHeader: true, cell: (quote) => quote.dealer_name },
    {
      header: "Price",
      num: true,
      cell: (quote) => (
        <>
          <strong>{formatPrice(quote.price, digits)}</strong>
          {quote.id === best?.id && <span className={`badge ${styles.best}`}>Best</span>}
          {quote.counter_price && <small className={styles.note}>You countered {formatPrice(quote.counter_price, digits)}</small>}
        </>
      ),
    },
    { header: "Type", cell: (quote) => (quote.firm ? "Firm" : "Indicative") },
    {
      header: "Valid for",
      cell: (quote) => (quote.status === "live" ? <TimeLeft to={quote.valid_until} now={now} over="lapsing" /> : <span className="muted">—</span>),
    },
    { header: "Last look", cell: (quote) => (quote.last_look_ms ? `up to ${formatDuration(quote.last_look_ms)}` : "None") },
    {
      header: "Status",
      cell: (quote) => (
        <>
          <StatusBadge status={quote.status} tone={QUOTE_TONES[quote.status]} />
          {rejectionReason(quote) && <small className={styles.note}>{rejectionReason(quote)}</small>}
        </>
      ),
    },
  ];
  if (canAct) {
    columns.push({
      header: <span className="sr-only">Actions</span>,
      cell: (quote) => {
        const price = formatPrice(quote.price, digits);
        return (
          <div className={styles.rowActions}>
            {canAccept(quote, now) && (
              <button
                type="button"
                className={rfq.side}
                aria-label={`${verb} at ${price} from ${quote.dealer_name}`}
                disabled={accept.isPending}
                onClick={() => accept.mutate(quote)}
              >
                {accept.isPending && accept.variables?.id === quote.id ? "Accepting…" : `${verb} at ${price}`}
              </button>
            )}
            {quote.status === "live" && (
              <button type="button" aria-label={`Counter ${quote.dealer_name}'s quote`} onClick={() => setCountering(quote.id)}>
                Counter
              </button>
            )}
          </div>
        );
      },
    });
  }

  // Once the RFQ is no longer open, how it ended says more than a failed acceptance (which may even
  // have traded: the server can fail after the trade, see the report on idempotency keys).
  const acceptError = accept.isError && rfq.status === "open" ? `The quote was not taken: ${errorMessage(accept.error)}` : null;
  return (
    <Panel title="Quotes">
      <ErrorNotice message={acceptError} />
      {rfq.quotes.length === 0 ? (
        <Empty>{isLive(rfq) ? "No quotes yet: they appear here as the dealers answer." : "No dealer quoted."}</Empty>
      ) : (
        <DataTable label="Quotes" columns={columns} rows={sortQuotes(rfq.quotes, rfq.side)} rowKey={(quote) => quote.id} />
      )}
      {canAct && rfq.quotes.some((quote) => quote.status === "live" && !quote.firm) && (
        <p className="muted">An indicative quote cannot be taken: counter it, and the dealer may answer with a firm one.</p>
      )}
      {countered && <CounterForm key={countered.id} rfq={rfq} quote={countered} onDone={() => setCountering(null)} />}
    </Panel>
  );
}

/** Counter one live quote with the price I would trade at; its dealer may re-quote at it. */
function CounterForm({ rfq, quote, onDone }: { rfq: Rfq; quote: Quote; onDone: () => void }) {
  const queryClient = useQueryClient();
  const bond = useBond(rfq.instrument_id);
  const digits = usePriceDigits(rfq.instrument_id);
  const form = useForm<{ price: string }>({
    resolver: zodResolver(counterSchema(bond?.tick_size)),
    defaultValues: { price: quote.counter_price ?? "" },
  });
  const problem = useFormProblem(form.setError, ["price"], { "rfq.invalid_tick": "price" });
  const counter = useIdempotentMutation(
    (values: { price: string }, keyFor) => {
      const body = { price: values.price.trim() };
      return unwrap(
        api.POST("/api/v1/rfqs/{rfq_id}/quotes/{quote_id}/counter", {
          params: { path: { rfq_id: rfq.id, quote_id: quote.id }, ...withIdempotencyKey(keyFor(body)) },
          body,
        }),
      );
    },
    {
      onSuccess: (next) => {
        storeRfq(queryClient, next);
        onDone();
      },
      onError: problem.show,
    },
  );
  return (
    <form
      noValidate
      className={styles.inlineForm}
      aria-label={`Counter ${quote.dealer_name}'s quote`}
      onSubmit={form.handleSubmit((values) => {
        problem.clear();
        counter.mutate(values);
      })}
    >
      <Field
        label="Counter price (per 100)"
        error={form.formState.errors.price?.message}
        hint={`${quote.dealer_name} quotes ${formatPrice(quote.price, digits)}${bond ? `; steps of ${bond.tick_size}` : ""}.`}
      >
        <input inputMode="decimal" autoComplete="off" autoFocus {...form.register("price")} />
      </Field>
      <FormFooter message={problem.message} pending={counter.isPending}>
        Send counter
      </FormFooter>
      <div>
        <button type="button" onClick={onDone} disabled={counter.isPending}>
          Close
        </button>
      </div>
    </form>
  );
}

/** The request's terms. */
function RequestPanel({ rfq, now }: { rfq: Rfq; now: number }) {
  const bond = useBond(rfq.instrument_id);
  return (
    <Panel title="Request">
      <Terms>
        <Term label="Bond">
          {bond ? (
            <Link to="/markets/$instrumentId" params={{ instrumentId: rfq.instrument_id }}>
              {bond.name}
            </Link>
          ) : (
            rfq.isin
          )}{" "}
          <span className="isin">{rfq.isin}</span>
        </Term>
        <Term label="Side">
          <SideLabel side={rfq.side} />
        </Term>
        <Term label="Units">{formatQuantity(rfq.quantity)}</Term>
        <Term label="Dealers asked">{formatQuantity(rfq.dealers.length)}</Term>
        <Term label="Requester">{rfq.disclosed ? "Disclosed to the dealers" : "Anonymous"}</Term>
        <Term label="Requested">{formatDateTime(rfq.created_at, { seconds: true })}</Term>
        {isLive(rfq) ? (
          <Term label="Expires">
            {formatTime(rfq.expires_at)} (<TimeLeft to={rfq.expires_at} now={now} />)
          </Term>
        ) : (
          <Term label="Ended">{formatDateTime(rfq.ended_at, { seconds: true })}</Term>
        )}
      </Terms>
    </Panel>
  );
}

/** The dealers asked: when each first answered, and each one's outcome once the RFQ ended. */
function DealersPanel({ rfq }: { rfq: Rfq }) {
  const columns: Column<Rfq["dealers"][number]>[] = [
    { header: "Dealer", rowHeader: true, cell: (dealer) => dealer.dealer_name },
    {
      header: "First quote",
      cell: (dealer) => (dealer.first_quoted_at ? formatTime(dealer.first_quoted_at) : <span className="muted">Not yet</span>),
    },
    { header: "Outcome", cell: (dealer) => <OutcomeBadge outcome={dealer.outcome} /> },
  ];
  return (
    <Panel title="Dealers asked">
      <DataTable label="Dealers asked" columns={columns} rows={rfq.dealers} rowKey={(dealer) => dealer.dealer_id} />
    </Panel>
  );
}
