import { useInfiniteQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { DataTable, type Column } from "../../components/DataTable";
import { LiveStatus } from "../../components/LiveStatus";
import { LoadMore } from "../../components/LoadMore";
import { Page } from "../../components/Page";
import { Panel } from "../../components/Panel";
import { SideLabel } from "../../components/SideLabel";
import { QueryState } from "../../components/States";
import { formatQuantity } from "../../lib/decimal";
import { formatDateTime } from "../../lib/format";
import { useNow } from "../../lib/useNow";
import { useLiveRfqs } from "./live";
import { RFQ_COLUMNS, RfqPrice, RfqStatusBadge, TimeLeft } from "./parts";
import { RequestForm } from "./RequestForm";
import { bestQuote, isLive, rfqListQuery, type Rfq } from "./rfq";
import styles from "./Rfq.module.css";

const route = getRouteApi("/rfqs");
const MINE = { role: "requester" } as const;

/** Request for quote: ask dealers for a price, and my requests (open and past), live. */
export function RfqsScreen() {
  const { instrument } = route.useSearch();
  useLiveRfqs();
  return (
    <Page title="Request for quote" actions={<LiveStatus />}>
      <p className={`muted ${styles.intro}`}>
        Ask dealers for a price on a size, off the order book. Their quotes arrive live; take a firm one before it lapses.
      </p>
      <RequestForm instrumentId={instrument} />
      <MyRfqs />
    </Page>
  );
}

/** My requests, newest first: the open ones with their best quote and time left, the rest with how they ended. */
function MyRfqs() {
  const query = useInfiniteQuery(rfqListQuery(MINE));
  const now = useNow();
  const columns: Column<Rfq>[] = [
    ...RFQ_COLUMNS,
    { header: "Side", cell: (rfq) => <SideLabel side={rfq.side} /> },
    { header: "Units", num: true, cell: (rfq) => formatQuantity(rfq.quantity) },
    { header: "Dealers", num: true, cell: (rfq) => formatQuantity(rfq.dealers.length) },
    {
      header: "Best / traded",
      num: true,
      cell: (rfq) => {
        if (rfq.status === "done") return <RfqPrice instrumentId={rfq.instrument_id} price={rfq.price} />;
        const best = isLive(rfq) ? bestQuote(rfq, now) : null;
        return best ? <RfqPrice instrumentId={rfq.instrument_id} price={best.price} /> : <span className="muted">—</span>;
      },
    },
    { header: "Status", cell: (rfq) => <RfqStatusBadge status={rfq.status} /> },
    {
      header: "Ends / ended",
      cell: (rfq) => (isLive(rfq) ? <TimeLeft to={rfq.expires_at} now={now} /> : <span className="muted">{formatDateTime(rfq.ended_at)}</span>),
    },
  ];
  return (
    <Panel title="My RFQs">
      <QueryState
        query={query}
        isEmpty={(data) => data.pages.every((page) => page.items.length === 0)}
        empty="You have not asked for quotes yet."
      >
        {(data) => (
          <>
            <DataTable label="My RFQs" columns={columns} rows={data.pages.flatMap((page) => page.items)} rowKey={(rfq) => rfq.id} />
            <LoadMore query={query}>Older RFQs</LoadMore>
          </>
        )}
      </QueryState>
    </Panel>
  );
}
