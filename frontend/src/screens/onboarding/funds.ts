/** Money rules for deposits and withdrawals (mirroring the server's), in exact paise. */
import { z } from "zod";
import type { components } from "../../api/client";
import { currencyScale, formatMoney, parseDecimal, toMinor } from "../../lib/decimal";

export type Payment = components["schemas"]["liquibond__payments__schemas__PaymentOut"];
export type PaymentStatus = components["schemas"]["PaymentStatus"];
export type BankAccount = components["schemas"]["BankAccountOut"];
export type Balance = components["schemas"]["BalanceOut"];
export type Bucket = components["schemas"]["Bucket"];

export const INR = "INR";
export const INR_SCALE = currencyScale(INR);
const MAX_PAISE = 10n ** 12n;
/** NPCI's general per-transaction UPI limit, ₹1,00,000. */
export const UPI_MAX_PAISE = 1_00_000_00n;
/** RTGS starts at ₹2,00,000. */
export const RTGS_MIN_PAISE = 2_00_000_00n;
const VPA = /^[A-Za-z0-9._-]{2,256}@[A-Za-z]{2,64}$/;

/** Rupees as the app shows them, e.g. "₹1,00,000.00". */
export function formatRupees(paise: bigint | number): string {
  return formatMoney(paise, INR_SCALE, INR);
}

/** An amount typed in rupees ("1,00,000.50", "₹2500") as exact paise, or why it is not one. */
export function parseRupees(text: string): { paise: bigint } | { error: string } {
  const cleaned = text.replace(/[₹,\s]/g, "");
  if (!cleaned) return { error: "Enter an amount in rupees." };
  const value = parseDecimal(cleaned);
  if (!value || value.units < 0n) return { error: "Enter an amount like 2500 or 2500.50." };
  const paise = toMinor(value, INR_SCALE);
  if (paise === null) return { error: "Use at most two decimal places (paise)." };
  if (paise <= 0n) return { error: "Enter an amount above zero." };
  if (paise > MAX_PAISE) return { error: `The largest amount is ${formatRupees(MAX_PAISE)}.` };
  return { paise };
}

/** The paise of an amount the schemas below have already accepted. */
export function paiseOf(text: string): bigint {
  const parsed = parseRupees(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.paise;
}

function checkAmount(text: string, ctx: z.RefinementCtx): bigint | null {
  const parsed = parseRupees(text);
  if ("error" in parsed) {
    ctx.addIssue({ code: "custom", path: ["amount"], message: parsed.error });
    return null;
  }
  return parsed.paise;
}

export const depositSchema = z
  .object({ method: z.enum(["upi", "rtgs"]), amount: z.string(), payer_vpa: z.string().trim() })
  .superRefine((values, ctx) => {
    const paise = checkAmount(values.amount, ctx);
    if (values.method === "upi") {
      if (paise !== null && paise > UPI_MAX_PAISE) {
        ctx.addIssue({
          code: "custom",
          path: ["amount"],
          message: `UPI deposits are limited to ${formatRupees(UPI_MAX_PAISE)}; use a bank transfer (RTGS).`,
        });
      }
      if (!VPA.test(values.payer_vpa)) {
        ctx.addIssue({ code: "custom", path: ["payer_vpa"], message: "Enter your UPI ID, e.g. name@okbank." });
      }
    } else if (paise !== null && paise < RTGS_MIN_PAISE) {
      ctx.addIssue({
        code: "custom",
        path: ["amount"],
        message: `Bank transfers (RTGS) start at ${formatRupees(RTGS_MIN_PAISE)}; use UPI for less.`,
      });
    }
  });
export type DepositValues = z.infer<typeof depositSchema>;

/** The deposit request for accepted form values. */
export function depositRequest(values: DepositValues): components["schemas"]["DepositRequest"] {
  const amount = Number(paiseOf(values.amount)); // exact: at most 10^12 < 2^53
  return values.method === "upi" ? { amount, method: "upi", payer_vpa: values.payer_vpa } : { amount, method: "rtgs" };
}

/** Withdrawal rules, given the rupees available to withdraw (null while unknown). */
export function withdrawalSchema(availablePaise: bigint | null) {
  return z
    .object({ bank_account_id: z.string().min(1, "Choose the bank account to pay."), amount: z.string() })
    .superRefine((values, ctx) => {
      const paise = checkAmount(values.amount, ctx);
      if (paise !== null && availablePaise !== null && paise > availablePaise) {
        ctx.addIssue({
          code: "custom",
          path: ["amount"],
          message: `You have ${formatRupees(availablePaise)} available to withdraw.`,
        });
      }
    });
}
export type WithdrawalValues = z.infer<ReturnType<typeof withdrawalSchema>>;

export const bankAccountSchema = z.object({
  holder_name: z
    .string()
    .trim()
    .min(2, "Enter the name on the account, as the bank has it.")
    .max(100, "Use at most 100 characters."),
  account_number: z
    .string()
    .transform((value) => value.replace(/\s/g, ""))
    .pipe(z.string().regex(/^\d{9,18}$/, "An account number is 9 to 18 digits.")),
  ifsc: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{4}0[A-Z0-9]{6}$/, "An IFSC is 11 characters: 4 letters, a zero, then 6 letters or digits (e.g. HDFC0001234)."),
});
export type BankAccountValues = z.input<typeof bankAccountSchema>;
export type BankAccountRequest = z.output<typeof bankAccountSchema>;

/** The INR available to withdraw or invest, from the balances (0 when there is none). */
export function availableRupees(balances: readonly Balance[]): bigint {
  const row = balances.find((balance) => balance.asset === INR && balance.bucket === "available");
  return row ? BigInt(row.balance) : 0n;
}

/** Payment statuses as the investor reads them. */
export function paymentStatusLabel(payment: Pick<Payment, "kind" | "status">): string {
  switch (payment.status) {
    case "pending":
      return payment.kind === "deposit" ? "Awaiting payment" : "Processing";
    case "confirmed":
      return "Credited";
    case "settled":
      return "Paid out";
    case "failed":
      return "Failed";
    case "returned":
      return "Returned to balance";
    case "expired":
      return "Expired";
  }
}

/** Whether any of the payments is still on its way. */
export function anyPending(payments: readonly Pick<Payment, "status">[]): boolean {
  return payments.some((payment) => payment.status === "pending");
}

/** One asset's balances by bucket. */
export interface AssetRow {
  asset: string;
  scale: number;
  amounts: Map<Bucket, bigint>;
  total: bigint;
}

/** One row per asset, cash first, with each bucket's amount and the total. */
export function assetRows(balances: readonly Balance[]): AssetRow[] {
  const rows = new Map<string, AssetRow>();
  for (const { asset, bucket, balance, scale } of balances) {
    if (bucket === "system") continue;
    const row = rows.get(asset) ?? { asset, scale, amounts: new Map(), total: 0n };
    row.amounts.set(bucket, (row.amounts.get(bucket) ?? 0n) + BigInt(balance));
    row.total += BigInt(balance);
    rows.set(asset, row);
  }
  return [...rows.values()].sort((a, b) =>
    a.asset === INR ? -1 : b.asset === INR ? 1 : a.asset.localeCompare(b.asset),
  );
}


/** A bank account as one line: "HDFC0001234 ••1234". */
export function bankAccountLabel(account: Pick<BankAccount, "ifsc" | "account_last4">): string {
  return `${account.ifsc} ••${account.account_last4}`;
}
