import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useId } from "react";
import { useForm } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/problem";
import { Field } from "../../components/Field";
import { ErrorNotice } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { Term, Terms } from "../../components/Terms";
import { formatDuration, msUntil } from "../../lib/countdown";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { formatTime } from "../../lib/format";
import { useFormProblem } from "../../lib/formProblem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { useNow } from "../../lib/useNow";
import { storeRfq } from "./cache";
import { OutcomeBadge, RfqStatusBadge, TimeLeft, useBond, usePriceDigits } from "./parts";
import {
  DEFAULT_VALID_FOR_SECONDS,
  dealerSide,
  isLive,
  myQuote,
  QUOTE_TONES,
  quoteRequest,
  quoteSchema,
  rejectionReason,
  type Quote,
  type QuoteValues,
  type Rfq,
} from "./rfq";
import styles from "./Rfq.module.css";

/**
 * One RFQ as its dealer works it: the request (the client's side, size and name if disclosed,
 * the time left), my quote (with the client's counter), the quote entry that replaces it, a
 * last look to fill or reject, and the outcome once it ended.
 */
export function DealerTicket({ rfq, level = "h3", link = false }: { rfq: Rfq; level?: "h2" | "h3"; link?: boolean }) {
  const titleId = useId();
  const bond = useBond(rfq.instrument_id);
  const digits = usePriceDigits(rfq.instrument_id);
  const mine = myQuote(rfq);
  const held = rfq.status === "last_look" && mine?.status === "held" && rfq.hold_until ? mine : null;
  const live = isLive(rfq);
  const now = useNow(held ? 100 : 1_000, live);
  const open = rfq.status === "open" && msUntil(rfq.expires_at, now) > 0;
  const side = dealerSide(rfq.side);
  const Heading = level;
  const classes = ["panel", styles.card, held ? styles.held : "", live ? "" : styles.ended].filter(Boolean).join(" ");
  return (
    <section className={classes} aria-labelledby={titleId}>
      <div className={styles.cardHead}>
        <Heading id={titleId}>
          Client {rfq.side === "buy" ? "buys" : "sells"} {formatQuantity(rfq.quantity)} · {bond?.name ?? rfq.isin}
        </Heading>
        <RfqStatusBadge status={rfq.status} />
      </div>
      <p className={styles.cardMeta}>
        <strong className={side === "buy" ? "buy-text" : "sell-text"}>You {side === "buy" ? "buy (bid)" : "sell (offer)"}</strong>
        <span>
          Client: <strong>{rfq.requester_name ?? "Anonymous"}</strong>
        </span>
        <span className="isin">{rfq.isin}</span>
        {live ? (
          <span>
            Ends in <TimeLeft to={rfq.expires_at} now={now} />
          </span>
        ) : (
          <span>Ended {rfq.ended_at ? formatTime(rfq.ended_at) : ""}</span>
        )}
        {link && (
          <Link to="/rfqs/$rfqId" params={{ rfqId: rfq.id }}>
            Details
          </Link>
        )}
      </p>
      {held && <LastLook rfq={rfq} quote={held} now={now} digits={digits} />}
      {mine && <MyQuote rfq={rfq} quote={mine} now={now} digits={digits} canWithdraw={open && mine.status === "live"} />}
      {open && !held && (
        <QuoteForm
          rfq={rfq}
          tickSize={bond?.tick_size}
          replacing={mine?.status === "live"}
          counterPrice={mine?.status === "live" ? mine.counter_price : null}
          digits={digits}
        />
      )}
      {!live && <Ended rfq={rfq} quote={mine} digits={digits} />}
    </section>
  );
}

/** My quote: price, kind, time left, last look and status; withdraw it while it stands. */
function MyQuote({
  rfq,
  quote,
  now,
  digits,
  canWithdraw,
}: {
  rfq: Rfq;
  quote: Quote;
  now: number;
  digits: number | undefined;
  canWithdraw: boolean;
}) {
  const queryClient = useQueryClient();
  const withdraw = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/v1/rfqs/{rfq_id}/quotes/{quote_id}", { params: { path: { rfq_id: rfq.id, quote_id: quote.id } } })),
    onSuccess: (next) => storeRfq(queryClient, next),
  });
  return (
    <>
      <p className={styles.myQuote}>
        <span>
          Your quote <strong className={styles.big}>{formatPrice(quote.price, digits)}</strong>
        </span>
        <span>{quote.firm ? "Firm" : "Indicative"}</span>
        {quote.status === "live" && (
          <span>
            valid <TimeLeft to={quote.valid_until} now={now} over="lapsing" />
          </span>
        )}
        {quote.last_look_ms ? <span>last look {formatDuration(quote.last_look_ms)}</span> : null}
        <StatusBadge status={quote.status} tone={QUOTE_TONES[quote.status]} />
        {canWithdraw && (
          <button type="button" aria-label="Withdraw my quote" onClick={() => withdraw.mutate()} disabled={withdraw.isPending}>
            Withdraw
          </button>
        )}
      </p>
      {quote.counter_price && quote.status === "live" && (
        <p className="notice" role="status">
          The client counters at <strong>{formatPrice(quote.counter_price, digits)}</strong>
          {quote.countered_at ? ` (${formatTime(quote.countered_at)})` : ""}.
        </p>
      )}
      {quote.decision === "reject" && <p className="muted">Rejected on last look{rejectionReason(quote) ? `: ${rejectionReason(quote)}` : ""}.</p>}
      <ErrorNotice message={withdraw.isError ? `Not withdrawn: ${errorMessage(withdraw.error)}` : null} />
    </>
  );
}

/** My quote was accepted and is held for my last look: fill it at the quoted price or reject it before the hold runs out. */
function LastLook({ rfq, quote, now, digits }: { rfq: Rfq; quote: Quote; now: number; digits: number | undefined }) {
  const queryClient = useQueryClient();
  const decide = useIdempotentMutation(
    (decision: "fill" | "reject", keyFor) => {
      const body = { decision };
      return unwrap(
        api.POST("/api/v1/rfqs/{rfq_id}/last-look", { params: { path: { rfq_id: rfq.id }, ...withIdempotencyKey(keyFor(body)) }, body }),
      );
    },
    { onSuccess: (next) => storeRfq(queryClient, next) },
  );
  return (
    <div className={`${styles.banner} ${styles.waiting}`} role="group" aria-label="Last look">
      <p>
        <strong>Accepted at {formatPrice(quote.price, digits)}.</strong> Fill or reject within{" "}
        <TimeLeft to={rfq.hold_until} now={now} tenths soonMs={2_000} over="no time" />.
      </p>
      <div className={styles.buttons}>
        <button type="button" className="primary" disabled={decide.isPending} onClick={() => decide.mutate("fill")}>
          Fill
        </button>
        <button type="button" disabled={decide.isPending} onClick={() => decide.mutate("reject")}>
          Reject
        </button>
      </div>
      <ErrorNotice message={decide.isError ? errorMessage(decide.error) : null} />
    </div>
  );
}

/** Quote, or replace my live quote: price, firm or indicative, how long it stands, and an optional last look. */
function QuoteForm({
  rfq,
  tickSize,
  replacing,
  counterPrice,
  digits,
}: {
  rfq: Rfq;
  tickSize: string | undefined;
  replacing: boolean;
  counterPrice: string | null;
  digits: number | undefined;
}) {
  const queryClient = useQueryClient();
  const form = useForm<QuoteValues>({
    resolver: zodResolver(quoteSchema(tickSize)),
    defaultValues: { price: "", firm: true, valid_for_seconds: DEFAULT_VALID_FOR_SECONDS, last_look_ms: "" },
  });
  const { register, formState } = form;
  const problem = useFormProblem(form.setError, ["price", "valid_for_seconds", "last_look_ms"], {
    "rfq.invalid_tick": "price",
    "rfq.last_look_too_long": "last_look_ms",
  });
  const send = useIdempotentMutation(
    (values: QuoteValues, keyFor) => {
      const body = quoteRequest(values);
      return unwrap(
        api.POST("/api/v1/rfqs/{rfq_id}/quotes", { params: { path: { rfq_id: rfq.id }, ...withIdempotencyKey(keyFor(body)) }, body }),
      );
    },
    { onSuccess: (next) => storeRfq(queryClient, next), onError: problem.show },
  );
  return (
    <form
      noValidate
      className={styles.quoteForm}
      aria-label={replacing ? "Replace my quote" : "Quote"}
      onSubmit={form.handleSubmit((values) => {
        problem.clear();
        send.mutate(values);
      })}
    >
      <Field label="Price (per 100)" error={formState.errors.price?.message} hint={tickSize ? `Steps of ${tickSize}.` : undefined}>
        <input inputMode="decimal" autoComplete="off" {...register("price")} />
      </Field>
      <Field label="Valid for (s)" error={formState.errors.valid_for_seconds?.message} hint="1 to 3600.">
        <input inputMode="numeric" autoComplete="off" {...register("valid_for_seconds")} />
      </Field>
      <Field label="Last look (ms)" error={formState.errors.last_look_ms?.message} hint="Empty: none.">
        <input inputMode="numeric" autoComplete="off" {...register("last_look_ms")} />
      </Field>
      <div className={styles.formEnd}>
        <label className={styles.check} title="An indicative quote cannot be accepted as it stands.">
          <input type="checkbox" {...register("firm")} /> Firm
        </label>
        <button type="submit" className="primary" disabled={send.isPending}>
          {send.isPending ? "Sending…" : replacing ? "Replace quote" : "Send quote"}
        </button>
        {counterPrice && (
          <button type="button" onClick={() => form.setValue("price", counterPrice, { shouldValidate: formState.isSubmitted })}>
            Use the counter ({formatPrice(counterPrice, digits)})
          </button>
        )}
      </div>
      <ErrorNotice message={problem.message} />
    </form>
  );
}

/** How it ended for me: my outcome, and (when I may see them) the traded and cover prices. */
function Ended({ rfq, quote, digits }: { rfq: Rfq; quote: Quote | null; digits: number | undefined }) {
  return (
    <Terms>
      <Term label="Outcome">
        <OutcomeBadge outcome={rfq.outcome} />
      </Term>
      <Term label="Your last price">{quote ? formatPrice(quote.price, digits) : "No quote"}</Term>
      {rfq.price && <Term label="Traded at">{formatPrice(rfq.price, digits)}</Term>}
      {rfq.cover_price && <Term label="Cover">{formatPrice(rfq.cover_price, digits)}</Term>}
    </Terms>
  );
}
