import { describe, expect, it } from "vitest";
import { groupByMonth } from "./cashflows";
import type { Cashflow } from "./queries";
import { statementFile, statementSchema } from "./statements";

function cashflow(payment_date: string, expected_amount: number, currency = "INR"): Cashflow {
  return {
    instrument_id: "01a20028-7080-737f-8fd7-9088508c8578",
    isin: "IN0020220037",
    name: "7.38% GS 2027",
    kind: "coupon",
    action_id: null,
    record_date: payment_date,
    ex_date: payment_date,
    payment_date,
    units: 300,
    amount_per_unit: 369,
    expected_amount,
    currency,
    scale: 2,
  };
}

describe("groupByMonth", () => {
  it("groups payments by month in date order with exact sums per currency", () => {
    const groups = groupByMonth([
      cashflow("2027-06-18", 3110700),
      cashflow("2026-12-21", 110700),
      cashflow("2026-12-02", 9007199254740991),
      cashflow("2026-12-30", 5, "USD"),
    ]);
    expect(groups.map((group) => group.month)).toEqual(["2026-12", "2027-06"]);
    const [december] = groups;
    expect(december?.items.map((item) => item.payment_date)).toEqual(["2026-12-02", "2026-12-21", "2026-12-30"]);
    expect(december?.sums).toEqual([
      { currency: "INR", scale: 2, minor: 9007199254740991n + 110700n },
      { currency: "USD", scale: 2, minor: 5n },
    ]);
  });

  it("is empty for no payments", () => {
    expect(groupByMonth([])).toEqual([]);
  });
});

describe("statement period", () => {
  const schema = statementSchema("2026-11-22");

  it("accepts a period of up to 366 days ending by today", () => {
    expect(schema.safeParse({ from: "2025-11-22", to: "2026-11-22" }).success).toBe(true);
  });

  it("refuses a future end, a reversed period and one longer than 366 days", () => {
    const issues = (period: { from: string; to: string }) =>
      schema.safeParse(period).error?.issues.map((issue) => [issue.path.join("."), issue.message]);
    expect(issues({ from: "2026-11-01", to: "2026-11-23" })).toEqual([["to", "A statement cannot end after today."]]);
    expect(issues({ from: "2026-11-10", to: "2026-11-01" })).toEqual([["from", "Start on or before the end date."]]);
    expect(issues({ from: "2025-11-21", to: "2026-11-22" })).toEqual([
      ["from", "One statement covers at most 366 days."],
    ]);
    expect(issues({ from: "", to: "2026-11-22" })?.[0]).toEqual(["from", "Choose a date."]);
  });

  it("builds the download path and file name", () => {
    expect(statementFile({ from: "2026-11-01", to: "2026-11-22" }, "csv")).toEqual({
      path: "/api/v1/portfolio/statements?from=2026-11-01&to=2026-11-22&format=csv",
      filename: "liquibond-statement-2026-11-01-2026-11-22.csv",
    });
  });
});
