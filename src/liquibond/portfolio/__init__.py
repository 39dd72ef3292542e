"""Portfolio: holdings and their valuation, P&L, cash flows, statements and contract notes."""
