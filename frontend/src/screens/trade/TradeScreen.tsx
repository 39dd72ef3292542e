import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useRef } from "react";
import { LiveStatus } from "../../components/LiveStatus";
import { Page } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { instrumentQuery } from "../../lib/instruments";
import { TokenPanel } from "../chain/TokenPanel";
import { CandleChart } from "./CandleChart";
import { InstrumentHeader } from "./InstrumentHeader";
import { MyFills } from "./MyFills";
import { MyOrders } from "./MyOrders";
import { OrderBook } from "./OrderBook";
import { OrderTicket, type TicketHandle } from "./OrderTicket";
import { useLiveBook, useMyUpdates, type Instrument } from "./queries";
import styles from "./Trade.module.css";
import { TradeTape } from "./TradeTape";

const route = getRouteApi("/markets/$instrumentId");

/** One bond's market: facts and ticker, chart, book, tape, the ticket, my orders and fills. */
export function TradeScreen() {
  const { instrumentId } = route.useParams();
  const instrument = useQuery(instrumentQuery(instrumentId));
  if (instrument.isPending) {
    return (
      <Page title="Trade">
        <Loading label="Loading the bond…" />
      </Page>
    );
  }
  if (instrument.isError) {
    return (
      <Page title="Trade" actions={<Link to="/markets">All markets</Link>}>
        <ErrorState error={instrument.error} onRetry={() => void instrument.refetch()} />
      </Page>
    );
  }
  return <Market key={instrumentId} instrument={instrument.data} />;
}

function Market({ instrument }: { instrument: Instrument }) {
  useMyUpdates();
  return (
    <Page
      title={instrument.name}
      actions={
        <>
          <LiveStatus />
          <Link to="/rfqs" search={{ instrument: instrument.id }}>
            Ask dealers for a quote
          </Link>
          <Link to="/markets">All markets</Link>
        </>
      }
    >
      <div className={styles.layout}>
        <InstrumentHeader instrument={instrument} />
        <TokenPanel instrument={instrument} />
        <CandleChart instrument={instrument} />
        <BookAndTicket instrument={instrument} />
        <TradeTape instrument={instrument} />
        <MyOrders instrument={instrument} />
        <MyFills instrument={instrument} />
      </div>
    </Page>
  );
}

/** The live book and the ticket it prices: choosing a level fills the ticket's price. */
function BookAndTicket({ instrument }: { instrument: Instrument }) {
  const live = useLiveBook(instrument.id);
  const ticket = useRef<TicketHandle>(null);
  return (
    <>
      <OrderBook instrument={instrument} live={live} onPick={(price) => ticket.current?.setPrice(price)} />
      <OrderTicket ref={ticket} instrument={instrument} bestBid={live.book?.bids[0]} bestAsk={live.book?.asks[0]} />
    </>
  );
}
