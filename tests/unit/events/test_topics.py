from __future__ import annotations

import pytest

from tradeyard.errors import BusError
from tradeyard.events import Fill, Signal, SubmitOrder, topics


def test_bar_topic_when_built_follows_the_architecture() -> None:
    assert topics.bar("binanceusdm", "BTCUSDT", "1m") == "md.binanceusdm.BTCUSDT.bar_1m"
    assert topics.signal("trend", "ETHUSDT") == "sig.trend.ETHUSDT"
    assert topics.command("sim") == "cmd.sim"
    assert topics.execution("t1") == "exec.t1"
    assert topics.control("t1") == "ctl.t1"


def test_topic_when_token_has_dot_or_wildcard_raises_bus_error() -> None:
    with pytest.raises(BusError, match="symbol"):
        topics.bar("sim", "BTC.USDT", "1m")
    with pytest.raises(BusError):
        topics.signal("*", "BTCUSDT")


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("md.*.BTCUSDT.>", "md.sim.BTCUSDT.bar_1m", True),
        ("md.*.BTCUSDT.>", "md.sim.BTCUSDT", False),
        ("md.>", "md.sim.ETHUSDT.mark", True),
        ("sig.trend.*", "sig.trend.BTCUSDT", True),
        ("sig.trend.*", "sig.trend.BTCUSDT.extra", False),
        ("exec.t1", "exec.t1", True),
        ("exec.t1", "exec.t2", False),
        (">", "anything.at.all", True),
    ],
)
def test_matches_when_given_nats_patterns_behaves_like_nats(
    pattern: str, topic: str, expected: bool
) -> None:
    assert topics.matches(pattern, topic) is expected


def test_validate_pattern_when_gt_not_last_raises() -> None:
    with pytest.raises(BusError, match="last token"):
        topics.validate_pattern("md.>.BTCUSDT")


def test_topic_for_when_given_events_routes_by_type() -> None:
    assert topics.topic_for(Signal("s", "BTCUSDT", 0, 1.0)) == "sig.s.BTCUSDT"
    assert (
        topics.topic_for(SubmitOrder("t", "sim", "X", 0, "t-1", "buy", "market", 1.0)) == "cmd.sim"
    )
    assert (
        topics.topic_for(Fill("t", "sim", "X", 0, "t-1", "buy", 1.0, 1.0, 0.0, "taker")) == "exec.t"
    )
