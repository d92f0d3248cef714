"""PositionWatch: a difference between the exchange and the owners counts once it is seen at
two checks in a row; owners outside the node (a shared store) are read at every check."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from tradeyard.runtime.position_watch import PositionWatch


def _trader(bot_id: str, **positions: float) -> Any:
    return SimpleNamespace(bot_id=bot_id, positions=dict(positions))


def test_a_difference_is_reported_at_the_second_check_once_and_cleared(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    t1 = _trader("t1", BTCUSDT=0.01)
    exchange = {"BTCUSDT": 0.01}
    watch = PositionWatch("binance", [t1], exchange, dict, ["BTCUSDT"])
    assert watch.check() == []
    exchange["BTCUSDT"] = 0.03  # a trade by hand (or the fill's report still on its way)
    assert watch.check() == []  # seen once: may be two streams out of step
    assert watch.check() == ["BTCUSDT"]
    assert watch.check() == []  # reported once, not at every check
    assert watch.reported == {"BTCUSDT"}
    exchange["BTCUSDT"] = 0.01
    watch.check()
    assert watch.reported == set()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        len(warnings) == 1 and "the exchange holds +0.03 but the traders own +0.01" in (warnings[0])
    )
    assert "binance BTCUSDT: the exchange's position and the traders' agree again" in caplog.text


def test_a_transient_difference_seen_once_is_not_reported() -> None:
    t1 = _trader("t1", BTCUSDT=0.01)
    exchange = {"BTCUSDT": 0.0}
    watch = PositionWatch("binance", [t1], exchange, dict, ["BTCUSDT"])
    watch.check()
    exchange["BTCUSDT"] = 0.01  # the position report caught up
    assert watch.check() == [] and watch.reported == set()


def test_owners_outside_the_node_are_read_at_every_check() -> None:
    # another node sharing the store and the account buys 0.02 while this one runs
    t1 = _trader("t1", BTCUSDT=0.01)
    exchange = {"BTCUSDT": 0.01}
    other: dict[str, dict[str, float]] = {}
    watch = PositionWatch("binance", [t1], exchange, lambda: other, ["BTCUSDT"])
    watch.check()
    exchange["BTCUSDT"] = 0.03
    other["t9 (not on this node)"] = {"BTCUSDT": 0.02}
    assert watch.check() == [] and watch.check() == []
