"""Trading: order entry, pre-trade checks, the engine runner and market data."""
