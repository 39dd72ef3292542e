import type { UseFormRegisterReturn } from "react-hook-form";
import { Field } from "../../components/Field";
import styles from "./Funds.module.css";

/** The rupees of a deposit or withdrawal, as typed. */
export function AmountField({ input, error, hint }: { input: UseFormRegisterReturn; error: string | undefined; hint: string | undefined }) {
  return (
    <Field label="Amount (₹)" error={error} hint={hint}>
      <input {...input} inputMode="decimal" autoComplete="off" className={styles.amount} />
    </Field>
  );
}
