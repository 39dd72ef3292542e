import { describe, expect, it } from "vitest";
import type { components } from "../../api/client";
import { bondFormSchema, EMPTY_BOND, fromInstrument, toCreate, toUpdate, type BondFormValues } from "./bondForm";

const valid: BondFormValues = {
  ...EMPTY_BOND,
  isin: " ine002a08534 ",
  name: "Reliance 7.26% 2030",
  face_value: "100000.50",
  coupon_rate: "7.2600",
  coupon_frequency: "2",
  issue_date: "2026-01-15",
  maturity_date: "2031-01-15",
  issue_size_units: "50000",
  credit_rating: "AAA",
  rating_agency: "CRISIL",
  session_open: "09:15",
  session_close: "15:30",
};

/** The fields the schema refuses, with their first message. */
function errors(values: BondFormValues): Record<string, string> {
  const result = bondFormSchema.safeParse(values);
  if (result.success) return {};
  return Object.fromEntries(result.error.issues.map((issue) => [issue.path.join("."), issue.message]));
}

describe("bond form", () => {
  it("turns text into the API's exact shapes", () => {
    const body = toCreate(bondFormSchema.parse(valid));
    expect(body).toMatchObject({
      isin: "INE002A08534",
      currency: "INR",
      face_value: 10000050,
      coupon_rate: "7.26",
      coupon_frequency: 2,
      tick_size: "0.0025",
      maker_fee_bps: "0",
      price_band_percent: "5",
      max_order_notional: null,
      first_coupon_date: null,
      session_open: "09:15:00",
      session_close: "15:30:00",
      issue_size_units: 50000,
      min_lot: 1,
    });
  });

  it("edits send every term but the identity", () => {
    const body = toUpdate(bondFormSchema.parse(valid));
    expect(body).not.toHaveProperty("isin");
    expect(body).not.toHaveProperty("currency");
    expect(body.rating_agency).toBe("CRISIL");
  });

  it("mirrors the server's field rules", () => {
    expect(
      errors({
        ...valid,
        isin: "INE002A08535",
        face_value: "10.001",
        coupon_rate: "7.1234567",
        tick_size: "0",
        maker_fee_bps: "100.01",
        price_band_percent: "50.5",
        min_lot: "1.5",
      }),
    ).toMatchObject({
      isin: expect.stringContaining("check digit"),
      face_value: expect.stringContaining("decimal places"),
      coupon_rate: expect.stringContaining("6 decimal places"),
      tick_size: "More than 0.",
      maker_fee_bps: "At most 100.",
      price_band_percent: "At most 50.",
      min_lot: "A whole number of units.",
    });
  });

  it("mirrors the server's cross-field rules", () => {
    expect(errors({ ...valid, maturity_date: "2026-01-15" })).toHaveProperty("maturity_date");
    expect(errors({ ...valid, first_coupon_date: "2031-02-01" })).toHaveProperty("first_coupon_date");
    expect(errors({ ...valid, coupon_rate: "0" })).toHaveProperty("coupon_frequency");
    expect(errors({ ...valid, coupon_rate: "0", coupon_frequency: "0" })).toEqual({});
    expect(errors({ ...valid, session_close: "" })).toHaveProperty("session_close");
    expect(errors({ ...valid, session_open: "16:00" })).toHaveProperty("session_close");
  });

  it("round-trips a draft", () => {
    const draft = toCreate(bondFormSchema.parse(valid));
    const instrument = {
      ...draft,
      id: "x",
      kind: "bond",
      issuer_id: "y",
      status: "draft",
      status_reason: null,
      coupon_rate: "7.26",
      tick_size: "0.0025",
      maker_fee_bps: "0",
      taker_fee_bps: "0",
      price_band_percent: "5",
      listed_at: null,
      payment_default_at: null,
      payment_default_reason: null,
      created_at: "2026-01-01T00:00:00Z",
    } as components["schemas"]["InstrumentOut"];
    const form = fromInstrument(instrument);
    expect(form.face_value).toBe("100000.50");
    expect(form.session_open).toBe("09:15");
    expect(toCreate(bondFormSchema.parse(form))).toEqual(draft);
  });
});
