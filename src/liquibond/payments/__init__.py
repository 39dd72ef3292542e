"""Payments: deposits and withdrawals over UPI and RTGS, bank accounts, reconciliation."""
