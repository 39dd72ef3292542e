import { useInfiniteQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { LoadMore } from "../../components/LoadMore";
import { Page } from "../../components/Page";
import { QueryState } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { formatQuantity } from "../../lib/decimal";
import { formatDateTime, humanize } from "../../lib/format";
import { nextCursor } from "../../lib/paging";
import { AUCTIONS_KEY, FORMAT_LABELS, STATUS_TONES, type Auction, type AuctionStatus } from "./auctions";
import styles from "./Auctions.module.css";
import { NextStep } from "./Countdown";

const FILTERS: readonly { value: AuctionStatus | ""; label: string }[] = [
  { value: "", label: "All" },
  { value: "announced", label: "Upcoming" },
  { value: "bidding", label: "Bidding" },
  { value: "closed", label: "Closed" },
  { value: "cleared", label: "Cleared" },
  { value: "settled", label: "Settled" },
  { value: "cancelled", label: "Cancelled" },
  { value: "draft", label: "Drafts (issuers)" },
];

const COLUMNS: Column<Auction>[] = [
  {
    header: "Bond",
    rowHeader: true,
    cell: (auction) => (
      <>
        <Link to="/auctions/$auctionId" params={{ auctionId: auction.id }}>
          {auction.bond.name}
        </Link>
        <br />
        <span className="isin">{auction.isin}</span>
      </>
    ),
  },
  { header: "Format", cell: (auction) => FORMAT_LABELS[auction.format] },
  { header: "Basis", cell: (auction) => humanize(auction.basis) },
  { header: "Offering (units)", num: true, cell: (auction) => formatQuantity(auction.offering) },
  {
    header: "Schedule",
    className: styles.schedule,
    cell: (auction) => (
      <>
        Opens {formatDateTime(auction.opens_at)}
        <br />
        Closes {formatDateTime(auction.closes_at)}
      </>
    ),
  },
  { header: "Next", cell: (auction) => <NextStep auction={auction} /> },
  { header: "Status", cell: (auction) => <StatusBadge status={auction.status} tone={STATUS_TONES[auction.status]} /> },
];

/** The auction calendar: every auction I may see, by opening time, with a live countdown to each one's next step. */
export function AuctionsScreen() {
  const [status, setStatus] = useState<AuctionStatus | "">("");
  const query = useInfiniteQuery({
    queryKey: [...AUCTIONS_KEY, "calendar", status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/auctions", {
          params: { query: { limit: 50, ...(status ? { status } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: nextCursor,
    refetchInterval: 15_000,
  });

  return (
    <Page title="Auctions">
      <div className={styles.filters}>
        <Field label="Status">
          <select value={status} onChange={(event) => setStatus(event.target.value as AuctionStatus | "")}>
            {FILTERS.map((filter) => (
              <option key={filter.value} value={filter.value}>
                {filter.label}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <QueryState
        query={query}
        isEmpty={(data) => data.pages.every((page) => page.items.length === 0)}
        empty={status ? "No auctions with this status." : "No auctions scheduled."}
      >
        {(data) => (
          <>
            <DataTable
              label="Auction calendar"
              columns={COLUMNS}
              rows={data.pages.flatMap((page) => page.items)}
              rowKey={(auction) => auction.id}
            />
            <LoadMore query={query}>More auctions</LoadMore>
          </>
        )}
      </QueryState>
    </Page>
  );
}
