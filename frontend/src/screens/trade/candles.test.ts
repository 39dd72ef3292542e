import { describe, expect, it } from "vitest";
import type { TapeTrade } from "../../lib/ws";
import { barsFromCandles, foldTrades, intervalStart } from "./candles";
import { mergeTape } from "./queries";

const trade = (seq: number, at: string, price: string, quantity = 100): TapeTrade => ({
  id: `t${seq}`,
  trade_seq: seq,
  venue: "book",
  price,
  price_ticks: null,
  quantity,
  aggressor_side: "buy",
  created_at: at,
});

const epoch = (iso: string) => Date.parse(iso) / 1000;

describe("intervalStart", () => {
  it("aligns hours and days on Indian market time", () => {
    expect(intervalStart(epoch("2026-11-21T22:09:48Z"), 3_600)).toBe(epoch("2026-11-21T21:30:00Z"));
    expect(intervalStart(epoch("2026-11-21T22:09:48Z"), 86_400)).toBe(epoch("2026-11-21T18:30:00Z"));
    expect(intervalStart(epoch("2026-11-21T22:09:48Z"), 300)).toBe(epoch("2026-11-21T22:05:00Z"));
  });
});

describe("foldTrades", () => {
  const [last] = barsFromCandles([
    { start: "2026-11-21T22:05:00Z", open: "100.5", high: "100.6", low: "100.4", close: "100.45", volume: 500, trades: 2 },
  ]);

  it("updates the current bar", () => {
    expect(foldTrades(last, [trade(3, "2026-11-21T22:09:00Z", "100.7", 50)], 300)).toEqual([
      { time: epoch("2026-11-21T22:05:00Z"), open: 100.5, high: 100.7, low: 100.4, close: 100.7, volume: 550 },
    ]);
  });

  it("starts new bars in order and ignores older trades", () => {
    const bars = foldTrades(
      last,
      [
        trade(5, "2026-11-21T22:16:00Z", "100.2"),
        trade(4, "2026-11-21T22:11:00Z", "100.3"),
        trade(6, "2026-11-21T22:16:30Z", "100.1"),
        trade(1, "2026-11-21T21:00:00Z", "99"),
      ],
      300,
    );
    expect(bars.map((bar) => [bar.time, bar.open, bar.close, bar.volume])).toEqual([
      [epoch("2026-11-21T22:10:00Z"), 100.3, 100.3, 100],
      [epoch("2026-11-21T22:15:00Z"), 100.2, 100.1, 200],
    ]);
  });

  it("starts the first bar when there is none", () => {
    expect(foldTrades(undefined, [trade(1, "2026-11-21T22:09:48Z", "100")], 60)).toHaveLength(1);
  });
});

describe("mergeTape", () => {
  it("adds new trades newest first, once each", () => {
    const held = [trade(2, "2026-11-21T22:00:00Z", "100"), trade(1, "2026-11-21T21:59:00Z", "100")];
    const merged = mergeTape(held, [trade(3, "2026-11-21T22:01:00Z", "101"), trade(2, "2026-11-21T22:00:00Z", "100")]);
    expect(merged.map((t) => t.trade_seq)).toEqual([3, 2, 1]);
  });
});
