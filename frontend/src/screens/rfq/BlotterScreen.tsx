import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { DataTable, type Column } from "../../components/DataTable";
import { LiveStatus } from "../../components/LiveStatus";
import { LoadMore } from "../../components/LoadMore";
import { Page } from "../../components/Page";
import { Panel } from "../../components/Panel";
import { Empty, ErrorState, Loading, QueryState } from "../../components/States";
import { formatQuantity } from "../../lib/decimal";
import { formatDateTime } from "../../lib/format";
import { useNow } from "../../lib/useNow";
import { DealerTicket } from "./DealerTicket";
import { useLiveRfqs } from "./live";
import { OutcomeBadge, RFQ_COLUMNS, RfqPrice } from "./parts";
import { blotterCards, isLive, liveRfqsQuery, myQuote, rfqListQuery, type Rfq } from "./rfq";
import styles from "./Rfq.module.css";

const ASKED = { role: "dealer" } as const;

/** A dealer's blotter: the requests asked of me, live, each with its quote entry; then how the recent ones ended. */
export function BlotterScreen() {
  useLiveRfqs();
  return (
    <Page title="Dealer blotter" actions={<LiveStatus />}>
      <p className={`muted ${styles.intro}`}>
        Requests for quote asked of you appear here as clients send them. A client buying means you sell (offer); selling,
        you buy (bid).
      </p>
      <LiveRequests />
      <RecentRequests />
    </Page>
  );
}

/** The requests still open (a held one first, then by time left), and those that just ended, for a moment. */
function LiveRequests() {
  const live = useQuery(liveRfqsQuery);
  const now = useNow();
  return (
    <section aria-labelledby="live-requests">
      <h2 id="live-requests" className={styles.sectionTitle}>
        Live requests
      </h2>
      {live.isPending ? (
        <Loading />
      ) : live.isError ? (
        <ErrorState error={live.error} onRetry={() => void live.refetch()} />
      ) : (
        <Cards rfqs={blotterCards(live.data, now)} />
      )}
    </section>
  );
}

function Cards({ rfqs }: { rfqs: Rfq[] }) {
  if (rfqs.length === 0) return <Empty>No requests are waiting for you. New ones appear here as clients ask.</Empty>;
  return (
    <div className={styles.cards}>
      {rfqs.map((rfq) => (
        <DealerTicket key={rfq.id} rfq={rfq} link />
      ))}
    </div>
  );
}

const COLUMNS: Column<Rfq>[] = [
  ...RFQ_COLUMNS,
  {
    header: "Client",
    cell: (rfq) => (
      <>
        <span className={rfq.side === "buy" ? "buy-text" : "sell-text"}>{rfq.side === "buy" ? "Buys" : "Sells"}</span>{" "}
        <span className="muted">{rfq.requester_name ?? "Anonymous"}</span>
      </>
    ),
  },
  { header: "Units", num: true, cell: (rfq) => formatQuantity(rfq.quantity) },
  { header: "Your price", num: true, cell: (rfq) => <RfqPrice instrumentId={rfq.instrument_id} price={myQuote(rfq)?.price} /> },
  { header: "Outcome", cell: (rfq) => <OutcomeBadge outcome={rfq.outcome} /> },
  { header: "Traded", num: true, cell: (rfq) => <RfqPrice instrumentId={rfq.instrument_id} price={rfq.price} /> },
  { header: "Cover", num: true, cell: (rfq) => <RfqPrice instrumentId={rfq.instrument_id} price={rfq.cover_price} /> },
  { header: "Ended", cell: (rfq) => formatDateTime(rfq.ended_at, { seconds: true }) },
];

/** The requests asked of me that have ended, newest first, with my outcome. */
function RecentRequests() {
  const query = useInfiniteQuery(rfqListQuery(ASKED));
  return (
    <Panel title="Recent requests">
      <QueryState
        query={query}
        isEmpty={(data) => data.pages.every((page) => page.items.every(isLive))}
        empty="No request asked of you has ended yet."
      >
        {(data) => (
          <>
            <DataTable
              label="Recent requests"
              columns={COLUMNS}
              rows={data.pages.flatMap((page) => page.items.filter((rfq) => !isLive(rfq)))}
              rowKey={(rfq) => rfq.id}
            />
            <LoadMore query={query}>Older requests</LoadMore>
          </>
        )}
      </QueryState>
    </Panel>
  );
}
