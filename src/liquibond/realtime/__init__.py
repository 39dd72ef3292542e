"""Real time: the WebSocket hub at `/api/v1/ws`, a consumer of the outbox events.

Every frame is one JSON object. Client operations carry `op` and may carry an `id` (a string
of up to 64 characters or an integer) that the answer echoes.

Authentication. Public channels need none. For private channels, authenticate with an access
token or an API key, either

- in the first message, `{"op": "auth", "token": "..."}` — what browsers should do: a URL
  ends up in proxy and browser logs, and a browser cannot set headers on a WebSocket; or
- with the connection request: `?token=...`, `Authorization: Bearer ...` or `X-API-Key`.

The answer is `{"type": "authenticated", "user_id", "expires_at"}` (for an `auth` message) or
an error with the REST code (`auth.token_invalid`, `auth.token_expired`, `auth.session_revoked`,
`auth.api_key_invalid`). A bad token given with the connection request closes it (1008), as do
three failed `auth` messages. A connection authenticated with an access token loses its private
channels when the token expires (error `auth.token_expired`, listing the `channels`); send
`auth` with a fresh token before then to stay subscribed. A connection stays one user's.

On connect: `{"type": "welcome", "user_id", "heartbeat_seconds", "heartbeat_timeout_seconds",
"max_subscriptions", "max_message_bytes"}`.

Subscriptions. `{"op": "subscribe", "channels": [...]}` answers an error for each refused
channel, then `{"type": "subscribed", "channels": [the accepted ones]}`, then each accepted
channel's first state. `{"op": "unsubscribe", "channels": [...]}` answers `unsubscribed`.
Subscribing to a channel already subscribed starts it afresh (new snapshot): that is how a book
is resynced.

Channels and their messages (`{"type", "channel", "data"}`):

- `book:{instrument_id}` — `snapshot` {instrument_id, seq, bids, asks}: every level, best
  first ({price, price_ticks, quantity, orders}); then `delta` {instrument_id, prev_seq, seq,
  bids, asks}: the levels that changed, with their quantity now (0: gone). Apply a delta whose
  `prev_seq` is the `seq` you hold; any other `prev_seq` means one was missed: subscribe
  again. A delta may merge several book changes (conflation under load).
- `trades:{instrument_id}` — `trades`: a list of tape entries {id, trade_seq, venue, price,
  price_ticks, quantity, aggressor_side, created_at}; never who traded. `venue` is `book`, or
  `rfq` for a trade on an accepted quote.
- `ticker:{instrument_id}` — `ticker`: the REST ticker, on subscribe, then after trades and
  book changes (at most once a second).
- `auction:{auction_id}` — `auction`: the auction as `GET /api/v1/auctions/{id}` shows it
  to anybody, on subscribe and after each public change (at most every `auction_seconds`):
  status and schedule, an English auction's best bid, minimum next bid and close time (a
  soft close moves it), an open auction's bid count, and once cleared its results. `seq`
  counts its public changes (ignore a state older than the one you hold). A sealed bid is
  never shown, nor signalled. Only announced auctions (`auction.not_found` otherwise).
- `orders` (authenticated) — `order` with `event` (accepted, partially_filled, filled,
  cancelled, expired, rejected): my order as it is now.
- `fills` (authenticated) — `fill`: my side of a trade {id, trade_seq, instrument_id, venue,
  order_id (null for an RFQ trade), side, liquidity, price, quantity, accrued_interest,
  dirty_amount, settlement_date, created_at}.
- `balances` (authenticated) — `balances`: all my balances [{asset, bucket, balance, scale}]
  in minor units, on subscribe and after they change (coalesced).
- `portfolio` (authenticated) — `portfolio`: my portfolio as `GET /api/v1/portfolio` answers
  it (totals, cash by bucket, each holding valued at its mark), on subscribe and after my
  fills and balance changes (coalesced: at most once per `portfolio_seconds`).
- `rfq` (authenticated) — `rfqs` on subscribe: my open RFQs (asked for or asked on), then `rfq`
  whenever one of my RFQs changes: the RFQ as `GET /api/v1/rfqs/{id}` shows it to me (a
  dealer never sees other dealers' quotes, nor an anonymous requester). Its `seq` orders the
  states; a dealer hears of another dealer's quote only when the RFQ ends.

Heartbeats. The server sends `{"type": "heartbeat", "ts"}` every `heartbeat_seconds`; answer
`{"op": "pong"}` (any message will do). A client silent for `heartbeat_timeout_seconds` is told
(`ws.heartbeat_timeout`) and closed (1008). `{"op": "ping"}` answers `{"type": "pong"}`.

Errors: `{"type": "error", "code", "detail"}` (+ `id`, `channel`, `errors` when relevant), never
a dropped connection for a bad message. Codes: `ws.bad_message` (not a JSON object, or invalid
fields, listed in `errors`), `ws.unknown_op`, `ws.rate_limited`, `ws.too_many_subscriptions`,
`channel.unknown`, `channel.invalid` (malformed id), `instrument.not_found`, `auction.not_found`,
`trading.book_halted`, `auth.unauthenticated` (a private channel without auth),
`auth.user_mismatch`, `internal.error`. These close the connection: `ws.message_too_large`
(1009), `ws.slow_consumer` (1008: the connection's outbound queue overflowed because the client
did not read), `ws.heartbeat_timeout` (1008), `ws.too_many_connections` (1013); the server
going away closes with 1001.

Embedded mode only: the hub sees the events relayed in its own process (a multi-worker
deployment needs the bus to fan every event out to every worker's hub).
"""
