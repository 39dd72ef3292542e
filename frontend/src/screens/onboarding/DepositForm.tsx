import { zodResolver } from "@hookform/resolvers/zod";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, unwrap, type components } from "../../api/client";
import { CopyButton } from "../../components/CopyButton";
import { Field } from "../../components/Field";
import { FormFooter } from "../../components/FormFooter";
import { useFormProblem } from "../../lib/formProblem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { AmountField } from "./AmountField";
import {
  depositRequest,
  depositSchema,
  formatRupees,
  RTGS_MIN_PAISE,
  UPI_MAX_PAISE,
  type DepositValues,
} from "./funds";
import styles from "./Funds.module.css";
import { PAYMENTS_KEY } from "./fundsQueries";

type Deposit = components["schemas"]["DepositOut"];

/** Money in: a UPI collect request to the investor's UPI ID, or an RTGS transfer to a virtual account. */
export function DepositForm() {
  const queryClient = useQueryClient();
  const [deposit, setDeposit] = useState<Deposit | null>(null);
  const form = useForm<DepositValues>({
    resolver: zodResolver(depositSchema),
    defaultValues: { method: "upi", amount: "", payer_vpa: "" },
  });
  const { register, handleSubmit, formState, watch } = form;
  const method = watch("method");
  const problem = useFormProblem(form.setError, ["amount", "payer_vpa", "method"], {
    "payment.above_upi_limit": "amount",
    "payment.below_rtgs_minimum": "amount",
  });
  const create = useIdempotentMutation(
    (values: DepositValues, keyFor) => {
      const body = depositRequest(values);
      return unwrap(api.POST("/api/v1/deposits", { body, params: withIdempotencyKey(keyFor(body)) }));
    },
    {
      onSuccess: (created, values) => {
        setDeposit(created);
        form.reset({ ...values, amount: "" });
        return queryClient.invalidateQueries({ queryKey: PAYMENTS_KEY });
      },
      onError: problem.show,
    },
  );

  return (
    <>
      {deposit && <DepositInstructions deposit={deposit} onDismiss={() => setDeposit(null)} />}
      <form
        noValidate
        onSubmit={handleSubmit((values) => {
          problem.clear();
          create.mutate(values);
        })}
      >
        <fieldset className={styles.choices}>
          <legend>Pay by</legend>
          <label>
            <input type="radio" value="upi" {...register("method")} /> UPI
          </label>
          <label>
            <input type="radio" value="rtgs" {...register("method")} /> Bank transfer (RTGS)
          </label>
        </fieldset>
        <AmountField
          input={register("amount")}
          error={formState.errors.amount?.message}
          hint={method === "upi" ? `Up to ${formatRupees(UPI_MAX_PAISE)} by UPI.` : `From ${formatRupees(RTGS_MIN_PAISE)} by RTGS.`}
        />
        {method === "upi" && (
          <Field
            label="UPI ID"
            error={formState.errors.payer_vpa?.message}
            hint="Your VPA, e.g. name@okbank. You approve the request in your UPI app."
          >
            <input {...register("payer_vpa")} autoComplete="off" spellCheck={false} />
          </Field>
        )}
        <FormFooter message={problem.message} pending={create.isPending}>
          Deposit
        </FormFooter>
      </form>
    </>
  );
}

const RTGS_FIELDS: readonly { key: string; label: string }[] = [
  { key: "beneficiary", label: "Beneficiary" },
  { key: "account_number", label: "Account number" },
  { key: "ifsc", label: "IFSC" },
];

/** How to pay a deposit just requested, from the rail's instructions. */
function DepositInstructions({ deposit, onDismiss }: { deposit: Deposit; onDismiss: () => void }) {
  const { instructions } = deposit;
  const amount = formatRupees(deposit.amount);
  return (
    <div className="notice notice-success" role="status">
      {instructions.type === "upi_collect" ? (
        <>
          <p>
            We sent a request for {amount} to <strong>{instructions.payer_vpa}</strong>. Approve it in your UPI app;
            your balance is credited as soon as your bank confirms.
          </p>
          {instructions.intent_url && (
            <p>
              <a href={instructions.intent_url}>Pay with a UPI app on this device</a>
            </p>
          )}
        </>
      ) : instructions.type === "rtgs_virtual_account" ? (
        <>
          <p>
            Transfer exactly {amount} by RTGS from a bank account in your name to the account below. Your balance is
            credited when the transfer arrives.
          </p>
          <dl className={styles.facts}>
            {RTGS_FIELDS.map(({ key, label }) => (
              <div key={key}>
                <dt>{label}</dt>
                <dd>
                  <span className="mono">{instructions[key] ?? "—"}</span>{" "}
                  {instructions[key] && <CopyButton text={instructions[key]} label={`Copy ${label.toLowerCase()}`} />}
                </dd>
              </div>
            ))}
          </dl>
        </>
      ) : (
        <p>Deposit of {amount} requested.</p>
      )}
      <p className="muted">Reference {deposit.rail_reference ?? deposit.id}</p>
      <button type="button" onClick={onDismiss}>
        Done
      </button>
    </div>
  );
}
