"""A market maker that trades through Liquibond's public HTTP API like any client program:
two-sided quotes around each bond's fair value (over a curve, else a configured yield, else
the middle of the book), with a configurable spread and size, inventory skew and limits, and
automatic answers to the RFQs asked of the dealer it runs as, and a bid in each auction
taking bids in price (`liquibond market-maker`).

:mod:`.quoting` decides the quotes, the RFQ answers and the auction bids (pure, exact
decimals); :mod:`.client` is the loop that talks to the server, over HTTP and the WebSocket's
`rfq` channel.
"""
