/**
 * Candles for the chart: the server's candles as bars, and live trades folded into them. Bars
 * hold numbers because the chart draws numbers; no money is computed from them.
 */
import type { components } from "../../api/client";
import type { TapeTrade } from "../../lib/ws";

type Candle = components["schemas"]["Candle"];
type CandleInterval = components["schemas"]["CandleInterval"];

/** One chart bar; `time` in epoch seconds (UTC). */
export interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Each interval's width in seconds. */
export const INTERVAL_SECONDS: Record<CandleInterval, number> = {
  "1m": 60,
  "5m": 300,
  "15m": 900,
  "1h": 3_600,
  "1d": 86_400,
};

/** Candles are aligned on Indian market time (UTC+05:30), as the server aligns them. */
const IST_OFFSET_SECONDS = 19_800;

/** The start (epoch seconds) of the interval of `width` seconds that holds `epochSeconds`. */
export function intervalStart(epochSeconds: number, width: number): number {
  return Math.floor((epochSeconds + IST_OFFSET_SECONDS) / width) * width - IST_OFFSET_SECONDS;
}

/** The server's candles as chart bars. */
export function barsFromCandles(candles: readonly Candle[]): Bar[] {
  return candles.map((candle) => ({
    time: Date.parse(candle.start) / 1000,
    open: Number(candle.open),
    high: Number(candle.high),
    low: Number(candle.low),
    close: Number(candle.close),
    volume: candle.volume,
  }));
}

/**
 * Fold trades into the bars after `last`: the bars that changed or began, oldest first (trades
 * older than `last` are left to the next refetch).
 */
export function foldTrades(last: Bar | undefined, trades: readonly TapeTrade[], width: number): Bar[] {
  const changed: Bar[] = [];
  let current = last;
  for (const trade of [...trades].sort((a, b) => a.trade_seq - b.trade_seq)) {
    const time = intervalStart(Date.parse(trade.created_at) / 1000, width);
    const price = Number(trade.price);
    if (current && time < current.time) continue;
    if (current && time === current.time) {
      current = {
        ...current,
        high: Math.max(current.high, price),
        low: Math.min(current.low, price),
        close: price,
        volume: current.volume + trade.quantity,
      };
    } else {
      current = { time, open: price, high: price, low: price, close: price, volume: trade.quantity };
    }
    if (changed.at(-1)?.time === current.time) changed[changed.length - 1] = current;
    else changed.push(current);
  }
  return changed;
}
