"""Primary auctions: sealed-bid clearing, English ascending and multi-round auctions."""
