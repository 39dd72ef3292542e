"""A market maker that trades through Liquibond's public HTTP API like any client program:
two-sided quotes around each bond's fair value over a curve, with a configurable spread and
size, inventory skew and limits (`liquibond market-maker`).

:mod:`.quoting` decides the quotes (pure, exact decimals); :mod:`.client` is the loop that
talks to the server. Answering RFQs automatically is not here yet: Liquibond has no RFQ API.
"""
