import { describe, expect, it } from "vitest";
import { assetRows, depositRequest, depositSchema, parseRupees, withdrawalSchema } from "./funds";

function fields(result: { error?: { issues: { path: PropertyKey[] }[] } }): string[] {
  return (result.error?.issues ?? []).map((issue) => issue.path.join("."));
}

describe("parseRupees", () => {
  it("turns rupees into exact paise", () => {
    expect(parseRupees("2500")).toEqual({ paise: 250000n });
    expect(parseRupees("0.1")).toEqual({ paise: 10n });
    expect(parseRupees("₹1,00,000.55")).toEqual({ paise: 10000055n });
    expect(parseRupees("9999999999.99")).toEqual({ paise: 999999999999n });
  });
  it("refuses what is not an amount of rupees", () => {
    for (const text of ["", "abc", "-5", "0", "0.00", "1.005", "1e5", "10000000000.01"]) {
      expect(parseRupees(text)).toHaveProperty("error");
    }
  });
});

describe("depositSchema", () => {
  const upi = { method: "upi" as const, amount: "5000", payer_vpa: "asha@okbank" };
  it("accepts a UPI deposit up to ₹1,00,000", () => {
    expect(depositSchema.safeParse(upi).success).toBe(true);
    expect(depositSchema.safeParse({ ...upi, amount: "100000" }).success).toBe(true);
    expect(fields(depositSchema.safeParse({ ...upi, amount: "100000.01" }))).toEqual(["amount"]);
  });
  it("wants a UPI ID for UPI", () => {
    expect(fields(depositSchema.safeParse({ ...upi, payer_vpa: "asha" }))).toEqual(["payer_vpa"]);
  });
  it("wants RTGS to start at ₹2,00,000", () => {
    expect(fields(depositSchema.safeParse({ method: "rtgs", amount: "199999.99", payer_vpa: "" }))).toEqual(["amount"]);
    expect(depositSchema.safeParse({ method: "rtgs", amount: "200000", payer_vpa: "" }).success).toBe(true);
  });
  it("builds the request in paise", () => {
    expect(depositRequest({ ...upi, amount: "1,234.50" })).toEqual({ amount: 123450, method: "upi", payer_vpa: "asha@okbank" });
    expect(depositRequest({ method: "rtgs", amount: "200000", payer_vpa: "x@y" })).toEqual({ amount: 20000000, method: "rtgs" });
  });
});

describe("withdrawalSchema", () => {
  it("keeps withdrawals within what is available", () => {
    const schema = withdrawalSchema(100000n);
    expect(schema.safeParse({ bank_account_id: "a", amount: "1000" }).success).toBe(true);
    expect(fields(schema.safeParse({ bank_account_id: "a", amount: "1000.01" }))).toEqual(["amount"]);
    expect(fields(schema.safeParse({ bank_account_id: "", amount: "1" }))).toEqual(["bank_account_id"]);
  });
});

describe("assetRows", () => {
  it("groups balances by asset, cash first, and totals them exactly", () => {
    const rows = assetRows([
      { asset: "IN0020230085", bucket: "available", balance: 10, scale: 0 },
      { asset: "INR", bucket: "locked", balance: 1, scale: 2 },
      { asset: "INR", bucket: "available", balance: 150000, scale: 2 },
    ]);
    expect(rows.map((row) => row.asset)).toEqual(["INR", "IN0020230085"]);
    expect(rows[0]?.amounts.get("locked")).toBe(1n);
    expect(rows[0]?.total).toBe(150001n);
  });
});
