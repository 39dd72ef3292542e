/**
 * Minor-unit scales of the venue's currencies. Instrument views carry the currency code but not
 * its scale; the ledger seeds INR at 2 (paise).
 */
const CURRENCY_SCALES: Record<string, number> = { INR: 2 };

/** Fraction digits of a currency's minor unit (2 when the code is unknown). */
export function currencyScale(currency: string): number {
  return CURRENCY_SCALES[currency] ?? 2;
}
