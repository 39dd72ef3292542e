import type { UseFormRegisterReturn } from "react-hook-form";
import { Field } from "../../components/Field";
import styles from "./Auth.module.css";
import type { SecondFactor } from "./credentials";

/** The authenticator-code field, or the recovery-code field, with a switch between the two. */
export function SecondFactorFields({
  factor,
  onFactorChange,
  codeInput,
  recoveryInput,
  codeError,
  recoveryError,
}: {
  factor: Exclude<SecondFactor, "none">;
  onFactorChange: (factor: Exclude<SecondFactor, "none">) => void;
  codeInput: UseFormRegisterReturn;
  recoveryInput: UseFormRegisterReturn;
  codeError: string | undefined;
  recoveryError: string | undefined;
}) {
  return (
    <div className={styles.secondFactor}>
      {factor === "totp" ? (
        <Field label="Authentication code" error={codeError} hint="The 6-digit code your authenticator app shows now.">
          <input
            {...codeInput}
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            className={styles.code}
          />
        </Field>
      ) : (
        <Field label="Recovery code" error={recoveryError} hint="One of the codes you saved when you set up two-factor login; each works once.">
          <input {...recoveryInput} autoComplete="off" spellCheck={false} maxLength={64} className={styles.code} />
        </Field>
      )}
      <button
        type="button"
        className={styles.linkButton}
        onClick={() => onFactorChange(factor === "totp" ? "recovery" : "totp")}
      >
        {factor === "totp" ? "Use a recovery code instead" : "Use an authentication code instead"}
      </button>
    </div>
  );
}
