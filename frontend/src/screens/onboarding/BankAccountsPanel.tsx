import { zodResolver } from "@hookform/resolvers/zod";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { Panel } from "../../components/Panel";
import { ErrorNotice, QueryState } from "../../components/States";
import { formatLocalDate } from "../../lib/format";
import { useFormProblem } from "../../lib/formProblem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { bankAccountLabel, bankAccountSchema, type BankAccount, type BankAccountRequest, type BankAccountValues } from "./funds";
import styles from "./Funds.module.css";
import { BANK_ACCOUNTS_KEY, useBankAccounts } from "./fundsQueries";

/** The heading of the bank accounts, for links to them. */
export const BANK_ACCOUNTS_HEADING = "bank-accounts-heading";

/** Bank accounts to withdraw to: each checked by a ₹1 penny drop when added. */
export function BankAccountsPanel() {
  const accounts = useBankAccounts();
  return (
    <Panel title="Bank accounts" id={BANK_ACCOUNTS_HEADING}>
      <QueryState
        query={accounts}
        isEmpty={(list) => list.length === 0}
        empty="No bank accounts yet. Add one to withdraw to it."
      >
        {(list) => (
          <ul className={styles.accounts}>
            {list.map((account) => (
              <li key={account.id} className={styles.account}>
                <div>
                  <strong>{account.holder_name}</strong>{" "}
                  <span className="mono">{bankAccountLabel(account)}</span>
                </div>
                {account.status === "verified" ? (
                  <div>
                    <span className={`badge ${styles.ok}`}>Verified</span>{" "}
                    <span className="muted">
                      by penny drop{account.name_at_bank ? `; name at bank: ${account.name_at_bank}` : ""}
                    </span>
                  </div>
                ) : (
                  <div>
                    <span className={`badge ${styles.bad}`}>Failed</span>{" "}
                    <span className="muted">{account.failure_reason ?? "The penny drop did not go through."}</span>
                  </div>
                )}
                <div className="muted">Added {formatLocalDate(account.created_at)}</div>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      <h3 className={styles.subheading}>Add a bank account</h3>
      <AddBankAccountForm />
    </Panel>
  );
}

function AddBankAccountForm() {
  const queryClient = useQueryClient();
  const [added, setAdded] = useState<BankAccount | null>(null);
  const form = useForm<BankAccountValues, unknown, BankAccountRequest>({
    resolver: zodResolver(bankAccountSchema),
    defaultValues: { holder_name: "", account_number: "", ifsc: "" },
  });
  const { register, handleSubmit, formState } = form;
  const problem = useFormProblem(form.setError, ["holder_name", "account_number", "ifsc"]);
  const add = useIdempotentMutation(
    (body: BankAccountRequest, keyFor) =>
      unwrap(api.POST("/api/v1/bank-accounts", { body, params: withIdempotencyKey(keyFor(body)) })),
    {
      onSuccess: (account) => {
        setAdded(account);
        form.reset();
        return queryClient.invalidateQueries({ queryKey: BANK_ACCOUNTS_KEY });
      },
      onError: problem.show,
    },
  );

  return (
    <form
      noValidate
      aria-label="Add a bank account"
      onSubmit={handleSubmit((values) => {
        problem.clear();
        setAdded(null);
        add.mutate(values);
      })}
    >
      <p className="muted">
        We credit ₹1 to the account to check it exists and that the name matches yours. Only accounts that pass can
        receive withdrawals.
      </p>
      <Field label="Account holder name" error={formState.errors.holder_name?.message} hint="As the bank has it.">
        <input {...register("holder_name")} autoComplete="name" maxLength={100} />
      </Field>
      <div className="form-row">
        <Field label="Account number" error={formState.errors.account_number?.message}>
          <input {...register("account_number")} inputMode="numeric" autoComplete="off" maxLength={22} />
        </Field>
        <Field label="IFSC" error={formState.errors.ifsc?.message} hint="On your cheque book, e.g. HDFC0001234.">
          <input {...register("ifsc")} autoComplete="off" maxLength={11} className={styles.upper} />
        </Field>
      </div>
      <ErrorNotice message={problem.message} />
      {added && (
        <p className={added.status === "verified" ? "notice notice-success" : "notice notice-error"} role="status">
          {added.status === "verified"
            ? `Account ${bankAccountLabel(added)} added and confirmed by penny drop.`
            : `Account ${bankAccountLabel(added)} could not be confirmed. ${added.failure_reason ?? "The penny drop failed."}`}
        </p>
      )}
      <div>
        <button type="submit" disabled={add.isPending}>
          Add bank account
        </button>
      </div>
    </form>
  );
}
