/**
 * Self-custody on the wallet card: reading the units and transaction hashes the user types, what a
 * withdrawal's or a deposit's status means, and reporting a deposit whose transaction the venue
 * may not see yet. Pure of React and of the API client, so it runs in tests as it is.
 */
import { ApiProblem } from "../../api/problem";
import type { Tone } from "../../components/StatusBadge";
import { formatQuantity } from "../../lib/decimal";

export type WithdrawalStatus = "pending" | "submitted" | "confirmed" | "failed";
export type DepositStatus = "credited" | "flagged";

/** Units typed in a form: a whole number from 1 up to `available` (when known), or what is wrong with it. */
export function parseUnits(text: string, available?: number): { units: number } | { error: string } {
  const trimmed = text.trim().replaceAll(",", "");
  if (!/^\d+$/.test(trimmed)) return { error: "Enter a whole number of units." };
  const units = Number(trimmed);
  if (units < 1) return { error: "Enter at least 1 unit." };
  if (available !== undefined && units > available) {
    return { error: `You have ${formatQuantity(available)} ${available === 1 ? "unit" : "units"} available.` };
  }
  if (!Number.isSafeInteger(units)) return { error: "That is more units than any bond has." };
  return { units };
}

/** A transaction hash typed or pasted (0x and 64 hex digits), lower-cased; null if it is not one. */
export function parseTxHash(text: string): string | null {
  const trimmed = text.trim();
  return /^0x[0-9a-fA-F]{64}$/.test(trimmed) ? trimmed.toLowerCase() : null;
}

/** My units of a bond in one bucket of my balances (0 when I have none there). */
export function unitsIn(
  balances: readonly { asset: string; bucket: string; balance: number }[],
  isin: string,
  bucket: "available" | "self_custody",
): number {
  return balances.find((row) => row.asset === isin && row.bucket === bucket)?.balance ?? 0;
}

/** Whether a withdrawal is still on its way to the wallet (worth re-reading). */
export function onTheWay(status: WithdrawalStatus): boolean {
  return status === "pending" || status === "submitted";
}

const WITHDRAWAL: Record<WithdrawalStatus, { text: string; tone: Tone }> = {
  pending: { text: "Waiting to be sent", tone: "info" },
  submitted: { text: "Sent to the chain", tone: "info" },
  confirmed: { text: "In your wallet", tone: "good" },
  failed: { text: "Failed: the units are back in your balance", tone: "bad" },
};

/** What a withdrawal's status means for its owner, and how it looks. */
export function withdrawalState(status: WithdrawalStatus): { text: string; tone: Tone } {
  return WITHDRAWAL[status];
}

/** How a deposit's status looks. */
export function depositTone(status: DepositStatus): Tone {
  return status === "credited" ? "good" : "warn";
}

/** What a deposit brought back: "100 units back in your balance", or how much of it, when it brought more than was withdrawn. */
export function depositText(deposit: { quantity: number; credited: number; status: DepositStatus }): string {
  const units = (n: number) => `${formatQuantity(n)} ${n === 1 ? "unit" : "units"}`;
  if (deposit.status === "credited") return `${units(deposit.quantity)} back in your balance`;
  return (
    `${formatQuantity(deposit.credited)} of ${units(deposit.quantity)} back in your balance: the rest is more than ` +
    "you withdrew, and operations will look at it"
  );
}

/** The venue's answers that it cannot see the transaction yet (not mined, or not confirmed): worth asking again. */
const NOT_YET = new Set(["chain.deposit_unknown_tx", "chain.deposit_unconfirmed"]);

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Report a deposit's transaction with `post`, asking again every `intervalMs` while the venue says it
 * cannot see it yet (a transaction just sent is mined, then confirmed, a little later), for at most
 * `waitMs`; any other answer, or the last one, is the outcome.
 */
export async function reportDeposit<T>(
  post: () => Promise<T>,
  { waitMs = 120_000, intervalMs = 3_000, sleep = wait, now = Date.now }: {
    waitMs?: number;
    intervalMs?: number;
    sleep?: (ms: number) => Promise<void>;
    now?: () => number;
  } = {},
): Promise<T> {
  const deadline = now() + waitMs;
  for (;;) {
    try {
      return await post();
    } catch (error) {
      const notYet = error instanceof ApiProblem && NOT_YET.has(error.code);
      if (!notYet || now() + intervalMs > deadline) throw error;
    }
    await sleep(intervalMs);
  }
}
