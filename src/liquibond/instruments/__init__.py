"""Instruments: bonds (and later other securities), their terms and trading status."""
