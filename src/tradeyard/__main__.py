"""`python -m tradeyard` is the same as the `tradeyard` command."""

from tradeyard.cli.main import app

app()
