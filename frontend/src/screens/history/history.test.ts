import { describe, expect, it } from "vitest";
import { isFiltered, NO_ORDER_FILTERS, ordersQuery, rangeError } from "./filters";

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
    expect(ordersQuery({ ...NO_ORDER_FILTERS, from: "2026-11-20", to: "2026-11-20" })).toMatchObject({
      from: new Date(2026, 10, 20).toISOString(),
      to: new Date(2026, 10, 21).toISOString(),
    });
  });

  it("say when any is set and when the range is reversed", () => {
    expect(isFiltered(NO_ORDER_FILTERS)).toBe(false);
    expect(isFiltered({ ...NO_ORDER_FILTERS, from: "2026-11-01" })).toBe(true);
    expect(rangeError({ from: "2026-11-02", to: "2026-11-01" })).toBe("Start on or before the end date.");
    expect(rangeError({ from: "2026-11-01", to: "" })).toBeUndefined();
  });
});
