"""Tests of the matching engine (liquibond.trading.engine)."""
