import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { LiveStatus } from "../../components/LiveStatus";
import { Page } from "../../components/Page";
import { Panel } from "../../components/Panel";
import { ErrorState, Loading } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { Term, Terms } from "../../components/Terms";
import { currencyScale, decimalToString, formatMoney, formatPrice, formatQuantity, multiplyDecimal, parseDecimal } from "../../lib/decimal";
import { formatCoupon, formatDate, formatDateTime, humanize, tickDigits } from "../../lib/format";
import { hasRole, useMe } from "../../lib/me";
import { useNow } from "../../lib/useNow";
import { auctionQuery, FORMAT_LABELS, hasResults, STATUS_TONES, type Auction } from "./auctions";
import styles from "./Auctions.module.css";
import { BidForm } from "./BidForm";
import { NextStep } from "./Countdown";
import { useLiveAuction } from "./live";
import { MyBids } from "./MyBids";
import { ResultsPanel } from "./ResultsPanel";
import { StepButtons } from "./StepButtons";

const route = getRouteApi("/auctions/$auctionId");

/** One auction: its terms and schedule, bidding, an English auction's live best bid, and once cleared its results. */
export function AuctionScreen() {
  const { auctionId } = route.useParams();
  const auction = useQuery(auctionQuery(auctionId));
  useLiveAuction(auction.data);
  if (auction.isPending) {
    return (
      <Page title="Auction">
        <Loading />
      </Page>
    );
  }
  if (auction.isError) {
    return (
      <Page title="Auction">
        <ErrorState error={auction.error} onRetry={() => void auction.refetch()} />
        <p>
          <Link to="/auctions">Back to the auction calendar</Link>
        </p>
      </Page>
    );
  }
  return <AuctionPage auction={auction.data} />;
}

function AuctionPage({ auction }: { auction: Auction }) {
  const me = useMe();
  const manages = hasRole(me.data, "admin") || (hasRole(me.data, "issuer") && me.data?.id === auction.issuer_id);
  const bidder = me.data !== undefined && me.data.id !== auction.issuer_id;
  const bidding = auction.status === "bidding";
  return (
    <Page
      title={`Auction: ${auction.bond.name}`}
      actions={
        <>
          <StatusBadge status={auction.status} tone={STATUS_TONES[auction.status]} />
          {auction.status !== "draft" && <LiveStatus />}
        </>
      }
    >
      <p>
        <Link to="/auctions">All auctions</Link>
      </p>
      {auction.status_reason && <p className="notice">{auction.status_reason}</p>}
      {manages && <StepButtons auction={auction} />}
      {auction.format === "english" && auction.english && <EnglishPanel auction={auction} />}
      {bidding && bidder ? (
        <div className={styles.columns}>
          <TermsPanel auction={auction} />
          <BidForm auction={auction} />
        </div>
      ) : (
        <TermsPanel auction={auction} />
      )}
      {hasResults(auction.status) && <ResultsPanel auction={auction} manages={manages} />}
      {bidder && auction.status !== "draft" && auction.status !== "announced" && <MyBids auction={auction} />}
    </Page>
  );
}

/** The live state of an English auction: the best bid, the least the next may offer, and the (soft) close. */
function EnglishPanel({ auction }: { auction: Auction }) {
  const english = auction.english!;
  const now = useNow();
  const digits = tickDigits(auction.bond.tick_size);
  const open = auction.status === "bidding";
  return (
    <Panel title="Live bidding">
      <Terms>
        <Term label="Best bid">
          <span className={styles.live} aria-live="polite">
            {english.best_price ? formatPrice(english.best_price, digits) : "No bids yet"}
          </span>
        </Term>
        <Term label="Minimum next bid">{formatPrice(english.minimum_bid, digits)}</Term>
        <Term label="Bids">{formatQuantity(english.bids)}</Term>
        <Term label={open ? "Closes" : "Closed"}>
          {formatDateTime(auction.closes_at, { seconds: true })}
          {open && new Date(auction.closes_at).getTime() > now && (
            <>
              {" "}
              (<NextStep auction={auction} />)
            </>
          )}
        </Term>
      </Terms>
      {auction.soft_close_seconds ? (
        <p className="muted">A bid in the last {auction.soft_close_seconds} s moves the close {auction.soft_close_seconds} s later.</p>
      ) : null}
    </Panel>
  );
}

function TermsPanel({ auction }: { auction: Auction }) {
  const price = auction.basis === "price";
  const low = price ? auction.min_price : auction.min_yield;
  const high = price ? auction.max_price : auction.max_yield;
  const unit = price ? "" : "%";
  const scale = currencyScale(auction.currency);
  return (
    <Panel title="Terms and schedule">
      <p>
        <NextStep auction={auction} />
      </p>
      <Terms>
        <Term label="Bond">
          {auction.bond.name} <span className="isin">{auction.isin}</span>
        </Term>
        <Term label="Format">{FORMAT_LABELS[auction.format]}</Term>
        <Term label="Bid in">{price ? "Price (per 100)" : "Yield (%)"}</Term>
        <Term label="Winners pay">{auction.pricing === "uniform" ? "The cut-off" : "Their own bid"}</Term>
        <Term label="Bids are">{humanize(auction.visibility)}</Term>
        <Term label="Offering">{formatQuantity(auction.offering)} units</Term>
        <Term label="Minimum bid">{formatQuantity(auction.min_bid)} units</Term>
        <Term label="Bid multiple">{formatQuantity(auction.bid_multiple)} units</Term>
        {(low || high) && (
          <Term label="Accepted range">
            {low ? `${formatPrice(low)}${unit}` : "—"} to {high ? `${formatPrice(high)}${unit}` : "—"}
          </Term>
        )}
        {auction.min_increment && <Term label="Minimum raise">{formatPrice(auction.min_increment)}</Term>}
        {auction.non_competitive_share !== "0" && <Term label="Non-competitive share">{sharePercent(auction.non_competitive_share)}</Term>}
        {auction.bidder_cap_share && <Term label="Bidder cap">{sharePercent(auction.bidder_cap_share)} of the offering</Term>}
        {auction.rounds > 1 && (
          <Term label="Round">
            {auction.current_round} of {auction.rounds}
          </Term>
        )}
        <Term label="Announced">{formatDateTime(auction.announce_at)}</Term>
        <Term label="Opens">{formatDateTime(auction.opens_at)}</Term>
        <Term label="Closes">{formatDateTime(auction.closes_at)}</Term>
        <Term label="Settles">{formatDate(auction.settles_on)}</Term>
        <Term label="Bids so far">{auction.bids === null ? "Sealed" : formatQuantity(auction.bids)}</Term>
        <Term label="Coupon">{auction.bond.coupon_rate ? formatCoupon(auction.bond.coupon_rate) : "Set by the auction"}</Term>
        <Term label="Matures">{formatDate(auction.bond.maturity_date)}</Term>
        <Term label="Face value">{formatMoney(auction.bond.face_value, scale, auction.currency)}</Term>
        <Term label="Rating">{auction.bond.credit_rating}</Term>
      </Terms>
    </Panel>
  );
}

/** A share ("0.1") as a percentage ("10%"), exactly. */
function sharePercent(share: string): string {
  const value = parseDecimal(share);
  if (!value) return share;
  const text = decimalToString(multiplyDecimal(value, { units: 100n, scale: 0 }));
  return `${formatPrice(text.includes(".") ? text.replace(/\.?0+$/, "") : text)}%`;
}
