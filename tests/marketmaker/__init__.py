"""The market maker: its quoting core and its loop against the real app."""
