"""`python -m services`: the channel-ledger command."""

from services.cli import main

main()
