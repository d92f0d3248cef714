"""The `fake-exchange` command, run in-process for a moment (no port is left open)."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from tradeyard.cli.fake_exchange import fake_exchange_command


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("fake-exchange")(fake_exchange_command)
    app.command("noop")(lambda: None)  # two commands: invoked by name, as under `tradeyard`
    return app


def test_cli_when_run_briefly_serves_then_exits() -> None:
    args = ["fake-exchange", "--port", "0", "--speed", "0", "--symbols", "BTCUSDT,ETHUSDT",
            "--log-level", "WARNING", "--exit-after", "0.2"]  # fmt: skip
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "fake binanceusdm listening on http://127.0.0.1:" in result.output
    assert "/_fake/state" in result.output


def test_cli_when_key_has_no_secret_fails_with_one_line() -> None:
    result = CliRunner().invoke(
        _app(), ["fake-exchange", "--api-key", "abc123", "--exit-after", "0"]
    )
    assert result.exit_code == 2
    assert "give them in pairs" in result.output


def test_cli_when_venue_unknown_fails() -> None:
    result = CliRunner().invoke(_app(), ["fake-exchange", "--venue", "kraken", "--exit-after", "0"])
    assert result.exit_code == 2 and "unknown venue" in result.output
