"""Liquibond: a marketplace that makes bonds and other hard-to-trade assets liquid."""

__version__ = "0.1.0"
