import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatMonth, humanize, shortId, tickDigits } from "./format";

describe("formats", () => {
  it("formats a calendar date without shifting it by the time zone", () => {
    expect(formatDate("2026-12-21")).toBe("21 Dec 2026");
    expect(formatDate("2027-06-05")).toBe("5 Jun 2027");
    expect(formatDate(null)).toBe("—");
    expect(formatMonth("2026-12-01")).toBe("December 2026");
  });

  it("formats instants, with seconds when asked", () => {
    const instant = new Date(2026, 10, 22, 15, 40, 5).toISOString();
    expect(formatDateTime(instant)).toContain("22 Nov 2026");
    expect(formatDateTime(instant, { seconds: true })).toContain(":05");
    expect(formatDateTime(undefined)).toBe("—");
    expect(formatDateTime("not a date")).toBe("not a date");
  });

  it("humanizes API enum values", () => {
    expect(humanize("partially_filled")).toBe("Partially filled");
    expect(humanize("taker")).toBe("Taker");
  });

  it("shortens ids and counts a tick's decimals", () => {
    expect(shortId("01a20028-7080-737f-8fd7-9088508c8578")).toBe("508c8578");
    expect(tickDigits("0.0025")).toBe(4);
    expect(tickDigits("1")).toBe(0);
  });
});
