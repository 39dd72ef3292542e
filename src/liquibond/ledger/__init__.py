"""The double-entry ledger: the only writer of balances."""
