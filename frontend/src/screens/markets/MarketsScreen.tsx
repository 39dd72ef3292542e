import { keepPreviousData, useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useMemo, useRef, useState } from "react";
import { api, unwrap } from "../../api/client";
import { Change } from "../../components/Change";
import { Table } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { FilterSelect } from "../../components/FilterBar";
import { LiveStatus } from "../../components/LiveStatus";
import { LoadMore } from "../../components/LoadMore";
import { Page } from "../../components/Page";
import { Empty, ErrorState, Loading } from "../../components/States";
import { formatPercent, formatPrice } from "../../lib/decimal";
import { formatCoupon, formatDate, tickDigits } from "../../lib/format";
import type { Instrument } from "../../lib/instruments";
import { nextCursor } from "../../lib/paging";
import { tickerKey, useTicker } from "../../lib/tickers";
import { useDebounced } from "../../lib/useDebounced";
import { useInView } from "./hooks";
import styles from "./Markets.module.css";
import { sortRatings } from "./ratings";

const PAGE_SIZE = 100;

/** The listed bonds with their live prices, searchable and filterable. */
export function MarketsScreen() {
  const [search, setSearch] = useState("");
  const [kind, setKind] = useState("");
  const [rating, setRating] = useState("");
  const q = useDebounced(search.trim(), 250);
  const listing = useInfiniteQuery({
    queryKey: ["instruments", "market", { q }],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/instruments", {
          params: { query: { status: "listed", limit: PAGE_SIZE, ...(q ? { q } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: "",
    getNextPageParam: nextCursor,
    placeholderData: keepPreviousData,
  });
  const instruments = useMemo(() => listing.data?.pages.flatMap((page) => page.items) ?? [], [listing.data]);
  const kinds = useMemo(() => [...new Set(instruments.map((i) => i.kind))].sort(), [instruments]);
  const ratings = useMemo(() => sortRatings(instruments.map((i) => i.credit_rating)), [instruments]);
  const shown = instruments.filter((i) => (!kind || i.kind === kind) && (!rating || i.credit_rating === rating));
  const tickers = useListedTickers();

  return (
    <Page title="Markets" actions={<LiveStatus />}>
      <div role="search" aria-label="Filter bonds" className={styles.filters}>
        <Field label="Search">
          <input
            type="search"
            value={search}
            placeholder="Name or ISIN"
            autoComplete="off"
            onChange={(event) => setSearch(event.target.value)}
          />
        </Field>
        <FilterSelect label="Kind" value={kind} onChange={setKind} options={withSelected(kinds, kind)} any="All kinds" optionLabel={String} />
        <FilterSelect
          label="Rating"
          value={rating}
          onChange={setRating}
          options={withSelected(ratings, rating)}
          any="All ratings"
          optionLabel={String}
        />
      </div>
      {listing.isPending ? (
        <Loading label="Loading bonds…" />
      ) : listing.isError ? (
        <ErrorState error={listing.error} onRetry={() => void listing.refetch()} />
      ) : shown.length === 0 ? (
        <Empty>{instruments.length === 0 && !q ? "No bonds are listed yet." : "No bonds match these filters."}</Empty>
      ) : (
        <MarketTable instruments={shown} tickers={tickers} />
      )}
      <LoadMore query={listing}>Load more bonds</LoadMore>
    </Page>
  );
}

/** Filter options, keeping the chosen one even when the current rows lack it. */
function withSelected(options: string[], selected: string): string[] {
  return selected && !options.includes(selected) ? [...options, selected] : options;
}

/**
 * Every listed bond's ticker in one request, seeding each instrument's ticker query (rows then
 * keep theirs live); null until it answers, and for a bond it did not include.
 */
function useListedTickers(): ReadonlySet<string> | "failed" | null {
  const queryClient = useQueryClient();
  const bulk = useQuery({
    queryKey: ["market", "tickers"],
    queryFn: async () => {
      const tickers = await unwrap(api.GET("/api/v1/market/tickers"));
      for (const ticker of tickers) queryClient.setQueryData(tickerKey(ticker.instrument_id), ticker);
      return new Set(tickers.map((ticker) => ticker.instrument_id));
    },
    staleTime: 30_000,
  });
  return bulk.isError ? "failed" : (bulk.data ?? null);
}

type Seeded = ReturnType<typeof useListedTickers>;

const HEADINGS = [
  { header: "ISIN", headerClassName: styles.isinColumn },
  { header: "Name" },
  { header: "Coupon", num: true },
  { header: "Maturity" },
  { header: "Rating" },
  { header: "Last", num: true },
  { header: "Yield", num: true },
  { header: "24h change", num: true },
];

function MarketTable({ instruments, tickers }: { instruments: Instrument[]; tickers: Seeded }) {
  return (
    <Table headings={HEADINGS} label="Listed bonds" className={styles.table}>
      <tbody>
        {instruments.map((instrument) => (
          <MarketRow key={instrument.id} instrument={instrument} tickers={tickers} />
        ))}
      </tbody>
    </Table>
  );
}

/** One bond; its ticker is live while the row is on screen (fetched alone only when the bulk
 * request failed or left it out). */
function MarketRow({ instrument, tickers }: { instrument: Instrument; tickers: Seeded }) {
  const row = useRef<HTMLTableRowElement>(null);
  const inView = useInView(row);
  const alone = tickers === "failed" || (tickers !== null && !tickers.has(instrument.id));
  const ticker = useTicker(instrument.id, { live: inView, fetch: alone });
  const data = ticker.data;
  const pending = <span className="muted">{ticker.isError ? "—" : "…"}</span>;
  const digits = tickDigits(instrument.tick_size);
  return (
    <tr ref={row}>
      <td className={`isin ${styles.isinColumn}`}>{instrument.isin}</td>
      <td className={styles.name}>
        <Link to="/markets/$instrumentId" params={{ instrumentId: instrument.id }}>
          {instrument.name}
        </Link>
        <span className={`isin ${styles.isinBelow}`}>{instrument.isin}</span>
      </td>
      <td className="num">{formatCoupon(instrument.coupon_rate)}</td>
      <td>{formatDate(instrument.maturity_date)}</td>
      <td>
        <span className="badge">{instrument.credit_rating}</span>
      </td>
      <td className="num">{data ? formatPrice(data.last_price, digits) : pending}</td>
      <td className="num">{data ? formatPercent(data.last_yield) : pending}</td>
      <td className="num">{data ? <Change points={data.change_24h} percent={data.change_percent_24h} digits={digits} /> : pending}</td>
    </tr>
  );
}
