import { zodResolver } from "@hookform/resolvers/zod";
import { useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormFooter } from "../../components/FormFooter";
import { ErrorState, Loading } from "../../components/States";
import { BALANCES_KEY, useBalances } from "../../lib/balances";
import { useFormProblem } from "../../lib/formProblem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { AmountField } from "./AmountField";
import { BANK_ACCOUNTS_HEADING } from "./BankAccountsPanel";
import {
  availableRupees,
  bankAccountLabel,
  formatRupees,
  paiseOf,
  withdrawalSchema,
  type BankAccount,
  type Payment,
  type WithdrawalValues,
} from "./funds";
import { PAYMENTS_KEY, useBankAccounts } from "./fundsQueries";

/** Money out to one of the investor's penny-drop-verified bank accounts. */
export function WithdrawForm() {
  const accounts = useBankAccounts();
  const balances = useBalances();
  const available = balances.data ? availableRupees(balances.data) : null;
  const verified = useMemo(() => (accounts.data ?? []).filter((account) => account.status === "verified"), [accounts.data]);

  if (accounts.isPending) return <Loading />;
  if (accounts.isError) return <ErrorState error={accounts.error} onRetry={() => void accounts.refetch()} />;
  if (verified.length === 0) {
    return (
      <p className="notice">
        Withdrawals go only to a bank account in your name that passed the penny-drop check. Add one under{" "}
        <a href={`#${BANK_ACCOUNTS_HEADING}`}>Bank accounts</a> first.
      </p>
    );
  }
  return <WithdrawalForm accounts={verified} available={available} />;
}

function WithdrawalForm({ accounts, available }: { accounts: BankAccount[]; available: bigint | null }) {
  const queryClient = useQueryClient();
  const [requested, setRequested] = useState<Payment | null>(null);
  const schema = useMemo(() => withdrawalSchema(available), [available]);
  const form = useForm<WithdrawalValues>({
    resolver: zodResolver(schema),
    defaultValues: { bank_account_id: accounts[0]?.id ?? "", amount: "" },
  });
  const { register, handleSubmit, formState } = form;
  const problem = useFormProblem(form.setError, ["amount", "bank_account_id"]);
  const withdraw = useIdempotentMutation(
    (values: WithdrawalValues, keyFor) => {
      const body = {
        bank_account_id: values.bank_account_id,
        amount: Number(paiseOf(values.amount)), // exact: the schema caps it at 10^12 < 2^53
        method: "rtgs" as const, // payouts go by bank transfer
      };
      return unwrap(api.POST("/api/v1/withdrawals", { body, params: withIdempotencyKey(keyFor(body)) }));
    },
    {
      onSuccess: (payment, values) => {
        setRequested(payment);
        form.reset({ ...values, amount: "" });
        return Promise.all([
          queryClient.invalidateQueries({ queryKey: PAYMENTS_KEY }),
          queryClient.invalidateQueries({ queryKey: BALANCES_KEY }),
        ]);
      },
      onError: problem.show,
    },
  );
  const destination = requested && accounts.find((item) => item.id === requested.bank_account_id);

  return (
    <>
      {requested && (
        <p className="notice notice-success" role="status">
          Withdrawal of {formatRupees(requested.amount)} to {destination ? bankAccountLabel(destination) : "your bank"}{" "}
          requested. The money is held until the bank pays it out.
        </p>
      )}
      <form
        noValidate
        onSubmit={handleSubmit((values) => {
          problem.clear();
          setRequested(null);
          withdraw.mutate(values);
        })}
      >
        <Field label="To bank account" error={formState.errors.bank_account_id?.message}>
          <select {...register("bank_account_id")}>
            {accounts.map((item) => (
              <option key={item.id} value={item.id}>
                {item.holder_name}, {bankAccountLabel(item)}
              </option>
            ))}
          </select>
        </Field>
        <AmountField
          input={register("amount")}
          error={formState.errors.amount?.message}
          hint={available === null ? undefined : `${formatRupees(available)} available to withdraw.`}
        />
        <FormFooter message={problem.message} pending={withdraw.isPending}>
          Withdraw
        </FormFooter>
      </form>
    </>
  );
}
