/*
 * Charts: TradingView Lightweight Charts™, Copyright (c) 2025 TradingView, Inc.
 * https://www.tradingview.com/ — its attribution logo stays on and the panel links to it.
 */
import { useQuery } from "@tanstack/react-query";
import {
  CandlestickSeries,
  ColorType,
  createChart,
  HistogramSeries,
  TickMarkType,
  type IChartApi,
  type ISeriesApi,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import { useEffect, useRef, useState } from "react";
import { Panel } from "../../components/Panel";
import { ErrorState } from "../../components/States";
import { parseDecimal } from "../../lib/decimal";
import { useChannel } from "../../lib/ws";
import { barsFromCandles, foldTrades, INTERVAL_SECONDS, type Bar } from "./candles";
import { candlesQuery, type CandleInterval, type Instrument } from "./queries";
import { Segmented } from "../../components/Segmented";
import styles from "./Trade.module.css";

const INTERVALS = (["1m", "5m", "15m", "1h", "1d"] as const).map((value) => ({ value, label: value }));

interface Chart {
  chart: IChartApi;
  candles: ISeriesApi<"Candlestick">;
  volume: ISeriesApi<"Histogram">;
  last: Bar | undefined;
}

const tickFormats: Partial<Record<TickMarkType, Intl.DateTimeFormatOptions>> = {
  [TickMarkType.Year]: { year: "numeric" },
  [TickMarkType.Month]: { month: "short" },
  [TickMarkType.DayOfMonth]: { day: "numeric", month: "short" },
  [TickMarkType.Time]: { hour: "2-digit", minute: "2-digit", hour12: false },
  [TickMarkType.TimeWithSeconds]: { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false },
};

const toDate = (time: Time) => new Date((time as number) * 1000);

/** Draw the chart in the page's colours, in local time. */
function makeChart(element: HTMLElement, tickSize: string): Chart {
  const css = getComputedStyle(element);
  const color = (name: string) => css.getPropertyValue(name).trim();
  const tick = parseDecimal(tickSize);
  const chart = createChart(element, {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: color("--panel") },
      textColor: color("--muted"),
      fontFamily: css.fontFamily,
    },
    grid: { vertLines: { color: color("--border") }, horzLines: { color: color("--border") } },
    rightPriceScale: { borderColor: color("--border") },
    timeScale: {
      borderColor: color("--border"),
      timeVisible: true,
      secondsVisible: false,
      tickMarkFormatter: (time: Time, type: TickMarkType) =>
        new Intl.DateTimeFormat("en-IN", tickFormats[type]).format(toDate(time)),
    },
    localization: { timeFormatter: (time: Time) => toDate(time).toLocaleString("en-IN") },
  });
  const up = color("--buy");
  const down = color("--sell");
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: up,
    downColor: down,
    wickUpColor: up,
    wickDownColor: down,
    borderVisible: false,
    priceFormat: { type: "price", precision: tick?.scale ?? 2, minMove: Number(tickSize) },
  });
  const volume = chart.addSeries(HistogramSeries, { priceScaleId: "", priceFormat: { type: "volume" }, color: color("--border") });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  return { chart, candles, volume, last: undefined };
}

function draw(chart: Chart, bars: readonly Bar[], replace: boolean): void {
  const candle = (bar: Bar) => ({ time: bar.time as UTCTimestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close });
  const volume = (bar: Bar) => ({ time: bar.time as UTCTimestamp, value: bar.volume });
  if (replace) {
    chart.candles.setData(bars.map(candle));
    chart.volume.setData(bars.map(volume));
  } else {
    for (const bar of bars) {
      chart.candles.update(candle(bar));
      chart.volume.update(volume(bar));
    }
  }
  chart.last = bars.at(-1) ?? (replace ? undefined : chart.last);
}

/** Price candles of the chosen interval, kept current by the trades channel. */
export function CandleChart({ instrument }: { instrument: Instrument }) {
  const [interval, chooseInterval] = useState<CandleInterval>("15m");
  const candles = useQuery(candlesQuery(instrument.id, interval));
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<Chart | null>(null);

  useEffect(() => {
    if (!container.current) return undefined;
    const made = makeChart(container.current, instrument.tick_size);
    chart.current = made;
    return () => {
      made.chart.remove();
      chart.current = null;
    };
  }, [instrument.tick_size]);

  useEffect(() => {
    if (chart.current) draw(chart.current, barsFromCandles(candles.data?.candles ?? []), true);
  }, [candles.data]);

  useChannel(`trades:${instrument.id}`, (message) => {
    const current = chart.current;
    if (message.type !== "trades" || !current || !candles.data) return;
    if (candles.data.candles.length === 0) void candles.refetch(); // the first bars: ask the server
    else draw(current, foldTrades(current.last, message.data, INTERVAL_SECONDS[interval]), false);
  });

  const empty = candles.data?.candles.length === 0;
  return (
    <Panel
      title="Chart"
      className={styles.chartPanel}
      actions={<Segmented label="Interval" options={INTERVALS} value={interval} onChange={chooseInterval} />}
    >
      {candles.isError && <ErrorState error={candles.error} onRetry={() => void candles.refetch()} />}
      <div className={styles.chartBox}>
        <div ref={container} className={styles.chart} />
        {candles.isPending && <p className={styles.chartNote}>Loading candles…</p>}
        {empty && <p className={styles.chartNote}>No trades in this period yet.</p>}
      </div>
      <p className={styles.attribution}>
        <a href="https://www.tradingview.com/lightweight-charts/" target="_blank" rel="noreferrer">
          Charts by TradingView Lightweight Charts
        </a>
      </p>
    </Panel>
  );
}
