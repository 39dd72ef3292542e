import { Link } from "@tanstack/react-router";
import { useEffect, useImperativeHandle, useLayoutEffect, useMemo, useRef, type Ref } from "react";
import { useForm, useWatch, type FieldErrors, type Resolver } from "react-hook-form";
import type { components } from "../../api/client";
import { ApiProblem, errorMessage } from "../../api/problem";
import { Field } from "../../components/Field";
import { Panel } from "../../components/Panel";
import type { BookLevel } from "../../lib/book";
import { decimalToString, formatPrice, formatQuantity, parseDecimal, roundDecimal, type Decimal } from "../../lib/decimal";
import { tickDigits } from "../../lib/format";
import { ORDER_STATUSES, ORDER_TYPES } from "../../lib/orders";
import { emptyTicket, orderKind, ticketRules, timesInForce, validateTicket, type TicketRules, type TicketValues } from "../../lib/ticket";
import { useTicker } from "../../lib/tickers";
import { Holdings } from "./Holdings";
import { usePlaceOrder } from "./placeOrder";
import type { Instrument } from "./queries";
import { Segmented } from "../../components/Segmented";
import { TicketAdvanced } from "./TicketAdvanced";
import { TicketEstimate } from "./TicketEstimate";
import { useTicketQuote } from "./ticketQuote";
import styles from "./Trade.module.css";

type Order = components["schemas"]["OrderOut"];

/** What the order book can do to the ticket. */
export interface TicketHandle {
  /** Use a book level's price as the limit. */
  setPrice(price: string): void;
}

interface Validation {
  rules: TicketRules;
  impliedPrice: Decimal | null;
}

/** The form's resolver: the checks of lib/ticket against the latest rules. */
function resolverFor(latest: { current: Validation }): Resolver<TicketValues> {
  return (values) => {
    const errors = validateTicket(values, latest.current.rules, { impliedPrice: latest.current.impliedPrice });
    const entries = Object.entries(errors).map(([field, message]) => [field, { type: "validate", message }]);
    return entries.length ? { values: {}, errors: Object.fromEntries(entries) as FieldErrors<TicketValues> } : { values, errors: {} };
  };
}

const SIDES = [
  { value: "buy", label: "Buy", chosenClassName: "buy" },
  { value: "sell", label: "Sell", chosenClassName: "sell" },
] as const;
const TYPES = [
  { value: "limit", label: "Limit" },
  { value: "market", label: "Market" },
] as const;
const PRICE_MODES = [
  { value: "price", label: "Price" },
  { value: "yield", label: "Yield" },
] as const;

/** The bond ticket: side, type, price or yield, units; the estimated cash; and the order sent. */
export function OrderTicket({
  instrument,
  bestBid,
  bestAsk,
  ref,
}: {
  instrument: Instrument;
  bestBid: BookLevel | undefined;
  bestAsk: BookLevel | undefined;
  ref?: Ref<TicketHandle>;
}) {
  const ticker = useTicker(instrument.id).data;
  const rules = useMemo(() => ticketRules(instrument, ticker?.last_price_ticks), [instrument, ticker?.last_price_ticks]);
  const latest = useRef<Validation>({ rules, impliedPrice: null });
  const resolver = useMemo(() => resolverFor(latest), []);
  const form = useForm<TicketValues>({ defaultValues: emptyTicket(), resolver, mode: "onTouched" });
  const { register, setValue, formState } = form;
  const values = useWatch({ control: form.control }) as TicketValues;
  const kind = orderKind(values);
  const priced = kind === "limit" || kind === "stop_limit";
  const byYield = priced && values.priceMode === "yield";
  const quote = useTicketQuote(instrument.id, values, rules, { lastPrice: ticker?.last_price, bestBid, bestAsk });
  const { place, submit } = usePlaceOrder(instrument.id, form);
  const digits = tickDigits(instrument.tick_size);
  const errors = formState.errors;

  useLayoutEffect(() => {
    latest.current = { rules, impliedPrice: quote.impliedPrice };
  });

  // An order type that does not allow the chosen time in force takes its default one.
  const allowed = timesInForce(kind);
  useEffect(() => {
    if (!allowed.includes(values.timeInForce)) setValue("timeInForce", allowed[0] ?? "gtc");
  }, [allowed, values.timeInForce, setValue]);

  useImperativeHandle(ref, () => ({
    setPrice(price: string) {
      const level = parseDecimal(price);
      setValue("type", "limit");
      setValue("priceMode", "price");
      setValue("price", level && digits !== undefined ? decimalToString(roundDecimal(level, digits)) : price, {
        shouldValidate: true,
        shouldDirty: true,
      });
    },
  }));

  const tradable = instrument.status === "listed";
  return (
    <Panel title="Order ticket" className={styles.ticketPanel}>
      {!tradable && (
        <p className="notice notice-error" role="alert">
          {`This bond is ${instrument.status}${instrument.status_reason ? `: ${instrument.status_reason}` : ""}. It cannot be traded now.`}
        </p>
      )}
      <form className={styles.ticket} onSubmit={(event) => void submit(event)} noValidate>
        <Segmented
          label="Side"
          options={SIDES}
          value={values.side}
          onChange={(side) => setValue("side", side, { shouldValidate: formState.isSubmitted })}
        />
        <Segmented label="Order type" options={TYPES} value={values.type} onChange={(type) => setValue("type", type)} />
        {priced && (
          <Segmented label="Limit as" options={PRICE_MODES} value={values.priceMode} onChange={(mode) => setValue("priceMode", mode)} />
        )}
        {priced && !byYield && (
          <Field label="Price" error={errors.price?.message} hint={`Clean, per 100 of face · tick ${instrument.tick_size}`}>
            <input inputMode="decimal" autoComplete="off" {...register("price")} />
          </Field>
        )}
        {byYield && (
          <Field
            label="Yield"
            error={errors.yieldPercent?.message}
            hint={
              quote.impliedPrice
                ? `Yield to maturity, % · sent as the clean price ${formatPrice(decimalToString(quote.impliedPrice), digits)}`
                : "Yield to maturity, % a year"
            }
          >
            <input inputMode="decimal" autoComplete="off" {...register("yieldPercent")} />
          </Field>
        )}
        <Field
          label="Quantity (units)"
          error={errors.quantity?.message}
          hint={`At least ${formatQuantity(instrument.min_lot)}, in steps of ${formatQuantity(instrument.lot_increment)}`}
        >
          <input inputMode="numeric" autoComplete="off" {...register("quantity")} />
        </Field>
        <Holdings side={values.side} instrument={instrument} />
        <TicketAdvanced
          register={register}
          errors={errors}
          timesInForce={allowed}
          goodTillDate={values.timeInForce === "gtd"}
        />
        <TicketEstimate quote={quote} rules={rules} side={values.side} byYield={byYield} market={!priced} digits={digits} />
        <button type="submit" className={values.side} disabled={!tradable || place.isPending}>
          {`Place ${values.side} order`}
        </button>
        {place.isError && <Failure error={place.error} />}
        {place.isSuccess && <Placed order={place.data} digits={digits} />}
      </form>
    </Panel>
  );
}

/** The server's refusal, with a way forward when it is about KYC. */
function Failure({ error }: { error: unknown }) {
  const kyc = error instanceof ApiProblem && error.code.startsWith("kyc.");
  return (
    <p className="notice notice-error" role="alert">
      {errorMessage(error)}
      {kyc && (
        <>
          {" "}
          <Link to="/onboarding">Complete your KYC</Link>
        </>
      )}
    </p>
  );
}

/** The order just placed and what became of it. */
function Placed({ order, digits }: { order: Order; digits: number | undefined }) {
  const status = ORDER_STATUSES[order.status].toLowerCase();
  const partly = order.filled_quantity > 0 && order.status !== "filled";
  const outcome = partly ? `${formatQuantity(order.filled_quantity)} of ${formatQuantity(order.quantity)} filled, ${status}` : status;
  // A market order's price is only its protection price: not worth naming.
  const limited = order.order_type === "limit" || order.order_type === "stop_limit";
  const what = limited
    ? `${order.side === "buy" ? "Buy" : "Sell"} order for ${formatQuantity(order.quantity)} units at ${formatPrice(order.price, digits)}`
    : `${ORDER_TYPES[order.order_type]} ${order.side} order for ${formatQuantity(order.quantity)} units`;
  return (
    <p className="notice notice-success" role="status">
      {`${what} placed: ${outcome}.`}
    </p>
  );
}
