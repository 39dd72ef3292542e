import { useEffect, useRef } from "react";
import type { FieldErrors, UseFormRegister } from "react-hook-form";
import { Field } from "../../components/Field";
import type { TicketValues, TimeInForce } from "../../lib/ticket";
import { SELF_TRADE, TIMES_IN_FORCE } from "../../lib/orders";
import styles from "./Trade.module.css";

const FIELDS = [
  "timeInForce",
  "expireAt",
  "stopPrice",
  "displayQuantity",
  "minQuantity",
  "allOrNone",
  "postOnly",
  "selfTradePrevention",
] as const;

/** The ticket's advanced section: time in force, stop, iceberg, minimum fill, post only. It opens
 * by itself when one of its fields has an error. */
export function TicketAdvanced({
  register,
  errors,
  timesInForce,
  goodTillDate,
}: {
  register: UseFormRegister<TicketValues>;
  errors: FieldErrors<TicketValues>;
  timesInForce: readonly TimeInForce[];
  goodTillDate: boolean;
}) {
  const section = useRef<HTMLDetailsElement>(null);
  const invalid = FIELDS.some((field) => errors[field]);
  useEffect(() => {
    if (invalid && section.current) section.current.open = true;
  }, [invalid]);
  return (
    <details ref={section} className={styles.advanced}>
      <summary>Advanced</summary>
      <div className={styles.advancedFields}>
        <Field label="Time in force" error={errors.timeInForce?.message}>
          <select {...register("timeInForce")}>
            {timesInForce.map((tif) => (
              <option key={tif} value={tif}>
                {TIMES_IN_FORCE[tif]}
              </option>
            ))}
          </select>
        </Field>
        {goodTillDate && (
          <Field label="Expires at" error={errors.expireAt?.message}>
            <input type="datetime-local" {...register("expireAt")} />
          </Field>
        )}
        <Field
          label="Stop trigger"
          error={errors.stopPrice?.message}
          hint="Clean price. The order waits until the last trade reaches it: a market order becomes a stop, a limit a stop limit."
        >
          <input inputMode="decimal" autoComplete="off" {...register("stopPrice")} />
        </Field>
        <Field
          label="Display quantity (iceberg)"
          error={errors.displayQuantity?.message}
          hint="Limit orders: show at most this many units at once"
        >
          <input inputMode="numeric" autoComplete="off" {...register("displayQuantity")} />
        </Field>
        <Field label="Minimum fill" error={errors.minQuantity?.message} hint="Trade at least this many units on arrival, or none">
          <input inputMode="numeric" autoComplete="off" {...register("minQuantity")} />
        </Field>
        <Field label="All or none" error={errors.allOrNone?.message} hint="Fill completely on arrival, or not at all">
          <input type="checkbox" className={styles.checkbox} {...register("allOrNone")} />
        </Field>
        <Field label="Post only" error={errors.postOnly?.message} hint="Refused if it would take liquidity">
          <input type="checkbox" className={styles.checkbox} {...register("postOnly")} />
        </Field>
        <Field label="Self-trade prevention">
          <select {...register("selfTradePrevention")}>
            {Object.entries(SELF_TRADE).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
      </div>
    </details>
  );
}
