import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation } from "@tanstack/react-query";
import { useId } from "react";
import { useForm } from "react-hook-form";
import { Field } from "../../components/Field";
import { ErrorNotice } from "../../components/States";
import { useFormProblem } from "../../lib/formProblem";
import type { Instrument } from "../../lib/instruments";
import {
  bondFormSchema,
  CALENDARS,
  DAY_COUNTS,
  EMPTY_BOND,
  FREQUENCIES,
  SETTLEMENT_CYCLES,
  type BondFormValues,
} from "./bondForm";
import styles from "./issuer.module.css";

const FIELDS = Object.keys(EMPTY_BOND) as (keyof BondFormValues)[];

/**
 * Every term of a bond, validated as the server does. Creating asks for the ISIN; editing a draft
 * keeps it. The submit button is "Save draft".
 */
export function BondForm({
  initial,
  editing,
  save,
  onSaved,
  onCancel,
}: {
  initial: BondFormValues;
  editing: boolean;
  save: (values: BondFormValues) => Promise<Instrument>;
  onSaved: (instrument: Instrument) => void;
  onCancel: () => void;
}) {
  const form = useForm<BondFormValues>({ resolver: zodResolver(bondFormSchema), defaultValues: initial, mode: "onTouched" });
  const errors = form.formState.errors;
  const queueHintId = useId();
  // A problem's field errors ("body.isin", or a taken ISIN) go on the matching fields.
  const problem = useFormProblem(form.setError, FIELDS, { "instrument.isin_taken": "isin" });
  const mutation = useMutation({ mutationFn: save, onSuccess: onSaved, onError: problem.show });

  return (
    <form
      className={styles.bondForm}
      noValidate
      aria-label={editing ? "Edit draft" : "Draft a bond"}
      onSubmit={(event) =>
        void form.handleSubmit((values) => {
          problem.clear();
          mutation.mutate(values);
        })(event)
      }
    >
      <fieldset>
        <legend>Identity and rating</legend>
        <div className="form-row">
          <Field label="ISIN" error={errors.isin?.message} hint={editing ? "Fixed once drafted." : "e.g. INE002A08534"}>
            <input className={styles.upper} {...form.register("isin")} readOnly={editing} autoCapitalize="characters" spellCheck={false} maxLength={12} />
          </Field>
          <Field label="Name" error={errors.name?.message}>
            <input {...form.register("name")} maxLength={200} />
          </Field>
        </div>
        <div className="form-row">
          <Field label="Credit rating" error={errors.credit_rating?.message} hint="e.g. AAA, AA+, SOV">
            <input {...form.register("credit_rating")} maxLength={20} />
          </Field>
          <Field label="Rating agency" error={errors.rating_agency?.message} hint="Optional, e.g. CRISIL">
            <input {...form.register("rating_agency")} maxLength={50} />
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>Economic terms</legend>
        <div className="form-row">
          <Field label="Face value (₹ per unit)" error={errors.face_value?.message}>
            <input inputMode="decimal" {...form.register("face_value")} />
          </Field>
          <Field label="Issue size (units)" error={errors.issue_size_units?.message}>
            <input inputMode="numeric" {...form.register("issue_size_units")} />
          </Field>
        </div>
        <div className="form-row">
          <Field label="Coupon rate (% a year)" error={errors.coupon_rate?.message} hint="0 for a zero-coupon bond">
            <input inputMode="decimal" {...form.register("coupon_rate")} />
          </Field>
          <Field label="Coupon frequency" error={errors.coupon_frequency?.message}>
            <select {...form.register("coupon_frequency")}>
              {Object.entries(FREQUENCIES).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Day count" error={errors.day_count?.message}>
            <select {...form.register("day_count")}>
              {DAY_COUNTS.map((value) => (
                <option key={value}>{value}</option>
              ))}
            </select>
          </Field>
        </div>
        <div className="form-row">
          <Field label="Issue date" error={errors.issue_date?.message}>
            <input type="date" {...form.register("issue_date")} />
          </Field>
          <Field label="Maturity date" error={errors.maturity_date?.message}>
            <input type="date" {...form.register("maturity_date")} />
          </Field>
          <Field label="First coupon date" error={errors.first_coupon_date?.message} hint="Optional: a short or long first period">
            <input type="date" {...form.register("first_coupon_date")} />
          </Field>
        </div>
        <div className="form-row">
          <Field label="Holiday calendar" error={errors.calendar?.message}>
            <select {...form.register("calendar")}>
              {CALENDARS.map((value) => (
                <option key={value}>{value}</option>
              ))}
            </select>
          </Field>
          <Field label="Settlement cycle" error={errors.settlement_cycle?.message}>
            <select {...form.register("settlement_cycle")}>
              {SETTLEMENT_CYCLES.map((value) => (
                <option key={value}>{value}</option>
              ))}
            </select>
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>Trading</legend>
        <div className="form-row">
          <Field label="Minimum lot (units)" error={errors.min_lot?.message}>
            <input inputMode="numeric" {...form.register("min_lot")} />
          </Field>
          <Field label="Lot increment (units)" error={errors.lot_increment?.message}>
            <input inputMode="numeric" {...form.register("lot_increment")} />
          </Field>
          <Field label="Tick size (per ₹100 of face)" error={errors.tick_size?.message}>
            <input inputMode="decimal" {...form.register("tick_size")} />
          </Field>
        </div>
        <div className="form-row">
          <Field label="Maker fee (bps)" error={errors.maker_fee_bps?.message}>
            <input inputMode="decimal" {...form.register("maker_fee_bps")} />
          </Field>
          <Field label="Taker fee (bps)" error={errors.taker_fee_bps?.message}>
            <input inputMode="decimal" {...form.register("taker_fee_bps")} />
          </Field>
          <Field label="Price band (%)" error={errors.price_band_percent?.message} hint="Empty: no band">
            <input inputMode="decimal" {...form.register("price_band_percent")} />
          </Field>
        </div>
        <div className="form-row">
          <Field label="Largest order (₹)" error={errors.max_order_notional?.message} hint="Empty: the venue's limit">
            <input inputMode="decimal" {...form.register("max_order_notional")} />
          </Field>
          <Field label="Reference curve" error={errors.reference_curve?.message} hint="Optional: prices the band before any trade">
            <input {...form.register("reference_curve")} maxLength={40} />
          </Field>
        </div>
        <div className="form-row">
          <Field label="Session opens" error={errors.session_open?.message} hint="Indian market time; empty: round the clock">
            <input type="time" {...form.register("session_open")} />
          </Field>
          <Field label="Session closes" error={errors.session_close?.message}>
            <input type="time" {...form.register("session_close")} />
          </Field>
        </div>
        <label className={styles.check}>
          <input type="checkbox" aria-describedby={queueHintId} {...form.register("queue_outside_hours")} />
          Queue orders outside the session
        </label>
        <small id={queueHintId} className="field-hint">
          Orders sent while the market is closed wait for the open; otherwise they are refused.
        </small>
      </fieldset>

      <ErrorNotice message={problem.message} />
      <div className={styles.formButtons}>
        <button type="submit" className="primary" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : "Save draft"}
        </button>
        <button type="button" onClick={onCancel} disabled={mutation.isPending}>
          Cancel
        </button>
      </div>
      <p className="muted">Drafts stay private until you submit them and an admin approves the listing.</p>
    </form>
  );
}
