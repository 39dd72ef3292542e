/** What the chain screens show: short hex, safe links, the wallet to show and the supply line. */
import { ApiProblem } from "../../api/problem";
import { formatQuantity } from "../../lib/decimal";

/** Whether an error says the venue runs without a chain (503 `chain.off`). */
export function isChainOff(error: unknown): boolean {
  return error instanceof ApiProblem && error.code === "chain.off";
}

/**
 * A long hex value (an address, a transaction or a hash) shortened to its `0x`, first `lead` and
 * last `tail` digits: "0x5FbD…0aa3". Short values stay whole.
 */
export function shortHex(value: string, lead = 4, tail = 4): string {
  const prefix = value.startsWith("0x") || value.startsWith("0X") ? value.slice(0, 2) : "";
  const digits = value.slice(prefix.length);
  if (digits.length <= lead + tail + 1) return value;
  return `${prefix}${digits.slice(0, lead)}…${digits.slice(-tail)}`;
}

/** A URI fit for a link: a path on this site or an http(s) address; anything else (javascript:, data:) is null. */
export function safeHref(uri: string | null | undefined): string | null {
  if (!uri) return null;
  if (uri.startsWith("/") && !uri.startsWith("//")) return uri;
  return /^https?:\/\//i.test(uri) ? uri : null;
}

/** The wallet to show: the custodial one the venue holds for the user (null before their KYC is verified). */
export function custodialWallet<W extends { custody: string }>(wallets: readonly W[] | null | undefined): W | null {
  return wallets?.find((wallet) => wallet.custody === "custodial") ?? null;
}

/** A token's supply against what was minted from the ledger: "1,000 units on chain · 1,200 minted". */
export function supplyLine(totalSupply: number, mintedUnits: number): string {
  return `${formatQuantity(totalSupply)} ${totalSupply === 1 ? "unit" : "units"} on chain · ${formatQuantity(mintedUnits)} minted`;
}
