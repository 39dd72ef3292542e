"""`python -m liquibond`."""

from liquibond.cli import main

main()
