"""The chain's Prometheus collectors: settlement outcomes and reconciliation breaks."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ChainMetrics:
    """Collectors on the app's registry (removed again when the chain stops)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self.settled = Counter(
            "liquibond_chain_settled_trades",
            "Trades whose token leg the chain confirmed",
            registry=registry,
        )
        self.failed = Counter(
            "liquibond_chain_failed_settlements",
            "Settlements that ran out of tries (into the breaks queue)",
            registry=registry,
        )
        self.breaks = Gauge(
            "liquibond_chain_breaks",
            "Wallets whose tokens differ from the ledger at the last reconciliation",
            registry=registry,
        )
        self.transfer_lag = Gauge(
            "liquibond_chain_transfer_lag_blocks",
            "Blocks the Transfer indexer has still to read (of the token furthest behind)",
            registry=registry,
        )

    def unregister(self) -> None:
        """Take the collectors off the registry."""
        for collector in (self.settled, self.failed, self.breaks, self.transfer_lag):
            self._registry.unregister(collector)
