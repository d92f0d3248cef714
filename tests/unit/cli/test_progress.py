"""The progress bar appears with the first bars processed, not before."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from tradeyard.cli.progress import bar_progress


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_bar_progress_when_setup_fails_before_any_bar_draws_nothing() -> None:
    console, out = _terminal()
    with pytest.raises(ValueError), bar_progress(1_000, "backtest", console):
        raise ValueError("a config check failed before the first bar")
    assert out.getvalue() == ""


def test_bar_progress_when_bars_are_processed_shows_the_count() -> None:
    console, out = _terminal()
    with bar_progress(1_000, "backtest", console) as advance:
        advance(600)
        advance(400)
    assert "1000/1000" in out.getvalue() and "backtest" in out.getvalue()
