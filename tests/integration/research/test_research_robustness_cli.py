"""`robustness` exits 1 and names the time when a strategy peeks at future bars."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import ClassVar

import msgspec
import numpy as np
import pytest
from typer.testing import CliRunner

from tradeyard.bots import Strategy
from tradeyard.cli.robustness import app
from tradeyard.events import Bar
from tradeyard.strategies import REGISTRY

pytestmark = pytest.mark.slow


class NextClose:
    """Non-causal: the next bar's close, visible through the engine's chunked `update_many`."""

    inputs: ClassVar[tuple[str, ...]] = ("close",)
    outputs: ClassVar[tuple[str, ...]] = ("value",)

    def __init__(self) -> None:
        self.value = math.nan

    def update(self, close: float) -> float:
        return math.nan

    def update_many(self, close: np.ndarray) -> dict[str, np.ndarray]:
        out = np.full(close.shape, np.nan)
        out[:-1] = close[1:]
        return {"value": out}


class NoParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class NextBarOracle(Strategy[NoParams]):
    name = "next_bar_oracle"
    Params = NoParams

    def on_start(self) -> None:
        self.next = self.indicator(NextClose())

    def on_bar(self, bar: Bar) -> None:
        if self.next.value == self.next.value:
            if self.next.value > bar.close:
                self.go_long("next close is higher")
            else:
                self.go_short("next close is not higher")


def test_robustness_when_strategy_peeks_exits_one_and_names_the_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(REGISTRY, NextBarOracle.name, NextBarOracle)
    out_json = tmp_path / "r.json"
    result = CliRunner().invoke(
        app,
        [
            "--strategy", NextBarOracle.name,
            "--symbols", "BTCUSDT", "--from", "2025-05-15", "--to", "2025-05-15T23:59",
            "--cuts", "2", "--simulations", "100", "--json", str(out_json),
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "look-ahead: FOUND — first differing signal at 2025-05-15 07:59:59" in result.output
    doc = json.loads(out_json.read_text())
    assert doc["lookahead"]["passed"] is False
    assert doc["monte_carlo"]["simulations"] == 100
