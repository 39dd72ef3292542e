import type { Cashflow } from "./queries";

/** An exact sum of minor units in one currency. */
export interface CurrencySum {
  currency: string;
  scale: number;
  minor: bigint;
}

/** The cash flows paid in one calendar month, with their sum per currency. */
export interface MonthOfCashflows {
  /** "2026-12" */
  month: string;
  items: Cashflow[];
  sums: CurrencySum[];
}

/** Group cash flows by the month of their payment date, months and payments in date order; sums are exact. */
export function groupByMonth(items: readonly Cashflow[]): MonthOfCashflows[] {
  const months = new Map<string, MonthOfCashflows>();
  const sorted = [...items].sort((a, b) => a.payment_date.localeCompare(b.payment_date));
  for (const item of sorted) {
    const month = item.payment_date.slice(0, 7);
    let group = months.get(month);
    if (!group) {
      group = { month, items: [], sums: [] };
      months.set(month, group);
    }
    group.items.push(item);
    const sum = group.sums.find((s) => s.currency === item.currency);
    if (sum) sum.minor += BigInt(item.expected_amount);
    else group.sums.push({ currency: item.currency, scale: item.scale, minor: BigInt(item.expected_amount) });
  }
  return [...months.values()];
}

/** How far ahead the calendar looks, in days (the API allows up to 3660). */
export const HORIZONS = [
  { days: 92, label: "3 months" },
  { days: 183, label: "6 months" },
  { days: 365, label: "1 year" },
  { days: 730, label: "2 years" },
  { days: 1826, label: "5 years" },
  { days: 3652, label: "10 years" },
] as const;
