"""Tokenized bonds on an EVM chain: the chain port and its adapters, the keystore, custodial
wallets listed in the identity registry, and tokenization (see DESIGN.md section 7)."""
