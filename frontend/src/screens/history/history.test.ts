import { describe, expect, it } from "vitest";
import { isFiltered, NO_ORDER_FILTERS, ordersQuery, rangeError } from "./filters";
import type { CursorPage } from "../../lib/paging";
import { rowsInRange } from "./paging";

/** A row created at local noon of a day ("2026-11-20"). */
function row(day: string): { id: string; created_at: string } {
  const [year, month, date] = day.split("-").map(Number);
  return { id: day, created_at: new Date(year ?? 0, (month ?? 1) - 1, date, 12).toISOString() };
}

function page(days: string[], next: string | null = null): CursorPage<{ id: string; created_at: string }> {
  return { items: days.map(row), next_cursor: next };
}

describe("rowsInRange", () => {
  const pages = [page(["2026-11-22", "2026-11-21"], "c1"), page(["2026-11-20", "2026-11-18"], "c2")];

  it("keeps every row without a range", () => {
    const { rows, olderMayMatch } = rowsInRange(pages, { from: "", to: "" });
    expect(rows.map((r) => r.id)).toEqual(["2026-11-22", "2026-11-21", "2026-11-20", "2026-11-18"]);
    expect(olderMayMatch).toBe(true);
  });

  it("keeps the rows within the range, both ends included", () => {
    const { rows } = rowsInRange(pages, { from: "2026-11-20", to: "2026-11-21" });
    expect(rows.map((r) => r.id)).toEqual(["2026-11-21", "2026-11-20"]);
  });

  it("stops offering older pages once the oldest loaded row is before the range", () => {
    expect(rowsInRange(pages, { from: "2026-11-19", to: "" }).olderMayMatch).toBe(false);
    expect(rowsInRange(pages, { from: "2026-11-18", to: "" }).olderMayMatch).toBe(true);
    expect(rowsInRange([], { from: "2026-11-18", to: "" }).olderMayMatch).toBe(true);
  });
});

describe("order filters", () => {
  it("map to the API's query", () => {
    expect(ordersQuery(NO_ORDER_FILTERS)).toEqual({
      instrument_id: undefined,
      side: undefined,
      status: undefined,
      open: undefined,
    });
    expect(ordersQuery({ ...NO_ORDER_FILTERS, instrumentId: "i1", side: "sell", status: "open" })).toEqual({
      instrument_id: "i1",
      side: "sell",
      status: undefined,
      open: true,
    });
    expect(ordersQuery({ ...NO_ORDER_FILTERS, status: "partially_filled" }).status).toBe("partially_filled");
  });

  it("say when any is set and when the range is reversed", () => {
    expect(isFiltered(NO_ORDER_FILTERS)).toBe(false);
    expect(isFiltered({ ...NO_ORDER_FILTERS, from: "2026-11-01" })).toBe(true);
    expect(rangeError({ from: "2026-11-02", to: "2026-11-01" })).toBe("Start on or before the end date.");
    expect(rangeError({ from: "2026-11-01", to: "" })).toBeUndefined();
  });
});
