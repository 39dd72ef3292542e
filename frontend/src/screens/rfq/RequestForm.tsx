import { zodResolver } from "@hookform/resolvers/zod";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useMemo } from "react";
import { useForm } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { FormFooter } from "../../components/FormFooter";
import { Panel } from "../../components/Panel";
import { Segmented } from "../../components/Segmented";
import { ErrorState, Loading } from "../../components/States";
import { formatDuration } from "../../lib/countdown";
import { formatQuantity } from "../../lib/decimal";
import { useFormProblem } from "../../lib/formProblem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { useInstrumentList } from "../../lib/instruments";
import { storeRfq } from "./cache";
import { dealersQuery, EXPIRY_CHOICES, formatRate, requestSchema, rfqRequest, type Dealer, type RequestValues, type Side } from "./rfq";
import styles from "./Rfq.module.css";

const SIDES = [
  { value: "buy", label: "Buy", chosenClassName: "buy" },
  { value: "sell", label: "Sell", chosenClassName: "sell" },
] as const;

/** Ask dealers for a price: a listed bond, a side and a size, the dealers (or all), disclosed or not, and for how long. */
export function RequestForm({ instrumentId }: { instrumentId?: string | undefined }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const instruments = useInstrumentList();
  const listed = useMemo(() => (instruments.data ?? []).filter((instrument) => instrument.status === "listed"), [instruments.data]);
  const byId = useMemo(() => new Map(listed.map((instrument) => [instrument.id, instrument])), [listed]);
  const form = useForm<RequestValues>({
    resolver: zodResolver(requestSchema((id) => byId.get(id))),
    defaultValues: {
      instrument_id: instrumentId ?? "",
      side: "buy",
      quantity: "",
      everyone: true,
      dealer_ids: [],
      disclosed: false,
      expires_in_seconds: "120",
    },
  });
  const { register, handleSubmit, formState, watch, setValue } = form;
  const [side, everyone, chosen, bondId] = watch(["side", "everyone", "dealer_ids", "instrument_id"]);
  const bond = byId.get(bondId);
  const problem = useFormProblem(form.setError, ["instrument_id", "quantity", "dealer_ids", "expires_in_seconds"], {
    "rfq.invalid_lot": "quantity",
    "rfq.max_quantity_exceeded": "quantity",
    "rfq.unknown_dealer": "dealer_ids",
    "rfq.no_dealers": "dealer_ids",
  });
  const send = useIdempotentMutation(
    (values: RequestValues, keyFor) => {
      const body = rfqRequest(values);
      return unwrap(api.POST("/api/v1/rfqs", { params: withIdempotencyKey(keyFor(body)), body }));
    },
    {
      onSuccess: (rfq) => {
        storeRfq(queryClient, rfq);
        void navigate({ to: "/rfqs/$rfqId", params: { rfqId: rfq.id } });
      },
      onError: problem.show,
    },
  );
  const revalidate = { shouldValidate: formState.isSubmitted };

  function toggleDealer(id: string, on: boolean) {
    const next = on ? [...chosen.filter((other) => other !== id), id] : chosen.filter((other) => other !== id);
    setValue("dealer_ids", next, revalidate);
  }

  return (
    <Panel title="Ask dealers for a price">
      <form
        noValidate
        className={styles.requestForm}
        onSubmit={handleSubmit((values) => {
          problem.clear();
          send.mutate(values);
        })}
      >
        <div className={styles.requestRow}>
          {/* The bond select is controlled, so a bond chosen before the list has loaded shows once it has. */}
          <Field
            label="Bond"
            error={formState.errors.instrument_id?.message}
            hint={bond ? `Lots of ${formatQuantity(bond.min_lot)} units, then steps of ${formatQuantity(bond.lot_increment)}.` : undefined}
          >
            <select value={bondId} onChange={(event) => setValue("instrument_id", event.target.value, revalidate)}>
              <option value="">{instruments.isPending ? "Loading the bonds…" : "Choose a bond…"}</option>
              {instruments.isError && <option disabled>Could not load the bonds</option>}
              {listed.map((instrument) => (
                <option key={instrument.id} value={instrument.id}>
                  {instrument.name} ({instrument.isin})
                </option>
              ))}
            </select>
          </Field>
          <div className="field">
            <span className={styles.label}>Side</span>
            <Segmented label="Side" options={SIDES} value={side} onChange={(next: Side) => setValue("side", next)} />
            <small className="field-hint">{side === "buy" ? "Dealers offer to sell to you." : "Dealers bid to buy from you."}</small>
          </div>
          <Field label="Quantity (units)" error={formState.errors.quantity?.message}>
            <input inputMode="numeric" autoComplete="off" {...register("quantity")} />
          </Field>
          <Field label="Dealers may answer for" error={formState.errors.expires_in_seconds?.message}>
            <select {...register("expires_in_seconds")}>
              {EXPIRY_CHOICES.map((choice) => (
                <option key={choice.seconds} value={String(choice.seconds)}>
                  {choice.label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <DealerChoice
          everyone={everyone}
          chosen={chosen}
          error={formState.errors.dealer_ids?.message}
          onEveryone={(all) => setValue("everyone", all, revalidate)}
          onToggle={toggleDealer}
        />
        <div className="field">
          <label className={styles.check}>
            <input type="checkbox" {...register("disclosed")} /> Show my name to the dealers
          </label>
          <small className="field-hint">Otherwise the request is anonymous.</small>
        </div>
        <FormFooter message={problem.message} pending={send.isPending}>
          {send.isPending ? "Asking…" : "Ask for quotes"}
        </FormFooter>
      </form>
    </Panel>
  );
}

/** All dealers, or the ones ticked; with how each has answered RFQs so far. */
function DealerChoice({
  everyone,
  chosen,
  error,
  onEveryone,
  onToggle,
}: {
  everyone: boolean;
  chosen: readonly string[];
  error: string | undefined;
  onEveryone: (all: boolean) => void;
  onToggle: (id: string, on: boolean) => void;
}) {
  const dealers = useQuery(dealersQuery);
  const columns: Column<Dealer>[] = [
    {
      header: "Dealer",
      rowHeader: true,
      cell: (dealer) =>
        everyone ? (
          dealer.name
        ) : (
          <label className={styles.dealerName}>
            <input type="checkbox" checked={chosen.includes(dealer.id)} onChange={(event) => onToggle(dealer.id, event.target.checked)} />
            {dealer.name}
          </label>
        ),
    },
    { header: "Response rate", num: true, cell: (dealer) => formatRate(dealer.response_rate) },
    { header: "Hit rate", num: true, cell: (dealer) => formatRate(dealer.hit_rate) },
    { header: "Average response", num: true, cell: (dealer) => formatDuration(dealer.average_response_ms) },
    { header: "Asked", num: true, cell: (dealer) => formatQuantity(dealer.asked) },
    { header: "Traded", num: true, cell: (dealer) => formatQuantity(dealer.done) },
  ];
  return (
    <div className="field">
      <fieldset className={styles.choices}>
        <legend>Dealers to ask</legend>
        <label>
          <input type="radio" name="rfq-dealers" checked={everyone} onChange={() => onEveryone(true)} /> All dealers
          {dealers.data ? ` (${dealers.data.length})` : ""}
        </label>
        <label>
          <input type="radio" name="rfq-dealers" checked={!everyone} onChange={() => onEveryone(false)} /> Only the dealers I choose
        </label>
      </fieldset>
      {dealers.isPending ? (
        <Loading label="Loading the dealers…" />
      ) : dealers.isError ? (
        <ErrorState error={dealers.error} onRetry={() => void dealers.refetch()} />
      ) : dealers.data.length === 0 ? (
        <p className="muted">There is no dealer to ask.</p>
      ) : (
        <DataTable label="Dealers" columns={columns} rows={dealers.data} rowKey={(dealer) => dealer.id} />
      )}
      <small className="field-hint">
        Response rate: RFQs answered with a quote. Hit rate: answered RFQs that traded with the dealer.
      </small>
      {error && (
        <small className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}
