import { describe, expect, it } from "vitest";
import { addDays, daysInclusive, localDaysAsInstants, parseIsoDate, startOfMonth, today } from "./dates";

describe("calendar dates", () => {
  it("parses only real dates", () => {
    expect(parseIsoDate("2026-02-28")?.toISOString()).toBe("2026-02-28T00:00:00.000Z");
    expect(parseIsoDate("2026-02-30")).toBeNull();
    expect(parseIsoDate("26-2-3")).toBeNull();
  });

  it("moves and counts days across months and leap years", () => {
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(daysInclusive("2026-01-01", "2026-01-01")).toBe(1);
    expect(daysInclusive("2026-01-01", "2026-12-31")).toBe(365);
  });

  it("knows today and the start of its month in local time", () => {
    expect(today(new Date(2026, 10, 5, 23, 59))).toBe("2026-11-05");
    expect(startOfMonth("2026-11-05")).toBe("2026-11-01");
  });

  it("turns a range of local days into instants, the end exclusive", () => {
    expect(localDaysAsInstants("2026-11-20", "2026-11-21")).toEqual({
      from: new Date(2026, 10, 20).toISOString(),
      to: new Date(2026, 10, 22).toISOString(),
    });
    expect(localDaysAsInstants("", "2026-12-31")).toEqual({ to: new Date(2027, 0, 1).toISOString() });
    expect(localDaysAsInstants("", "")).toEqual({});
    expect(localDaysAsInstants("2026-02-30", "")).toEqual({});
  });
});
