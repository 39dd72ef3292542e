"""Valuation: the web and database layer over the pure analytics core (bond figures, curves)."""
