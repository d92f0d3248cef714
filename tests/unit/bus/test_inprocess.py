from __future__ import annotations

import pytest

from tradeyard.bus import Bus, InProcessBus
from tradeyard.errors import BusError
from tradeyard.events import CancelOrder, Event


def _ev(i: int) -> CancelOrder:
    return CancelOrder("t", "sim", "BTCUSDT", i, f"t-{i}")


def test_inprocess_bus_when_checked_satisfies_the_bus_protocol() -> None:
    assert isinstance(InProcessBus(), Bus)


def test_publish_when_patterns_match_delivers_to_each_matching_subscriber_in_order() -> None:
    bus = InProcessBus()
    got: list[tuple[str, str, int]] = []
    bus.subscribe("cmd.*", lambda t, e: got.append(("star", t, e.ts)))
    bus.subscribe("cmd.sim", lambda t, e: got.append(("exact", t, e.ts)))
    bus.subscribe(">", lambda t, e: got.append(("all", t, e.ts)))
    bus.subscribe("exec.>", lambda t, e: got.append(("other", t, e.ts)))
    bus.publish("cmd.sim", _ev(1))
    assert got == [("star", "cmd.sim", 1), ("exact", "cmd.sim", 1), ("all", "cmd.sim", 1)]


def test_publish_from_inside_handler_when_nested_is_delivered_after_current_event() -> None:
    bus = InProcessBus()
    order: list[str] = []

    def first(topic: str, e: Event) -> None:
        order.append(f"first:{e.ts}")
        if e.ts == 1:
            bus.publish("b", _ev(2))
        order.append(f"first-done:{e.ts}")

    bus.subscribe("a", first)
    bus.subscribe("a", lambda t, e: order.append(f"second:{e.ts}"))
    bus.subscribe("b", lambda t, e: order.append(f"b:{e.ts}"))
    bus.publish("a", _ev(1))
    assert order == ["first:1", "first-done:1", "second:1", "b:2"]
    assert bus.idle


def test_unsubscribe_when_called_stops_delivery() -> None:
    bus = InProcessBus()
    got: list[int] = []
    sub = bus.subscribe("x.>", lambda t, e: got.append(e.ts))
    bus.publish("x.y", _ev(1))
    sub.unsubscribe()
    bus.publish("x.y", _ev(2))
    assert got == [1]


def test_handler_error_when_raised_propagates_and_leaves_bus_usable() -> None:
    bus = InProcessBus()
    got: list[int] = []

    def boom(t: str, e: Event) -> None:
        bus.publish("later", _ev(99))
        raise RuntimeError("bot broke")

    bus.subscribe("a", boom)
    bus.subscribe("later", lambda t, e: got.append(e.ts))
    bus.subscribe("ok", lambda t, e: got.append(e.ts))
    with pytest.raises(RuntimeError):
        bus.publish("a", _ev(1))
    bus.publish("ok", _ev(2))
    assert got == [2]


def test_subscribe_when_pattern_malformed_raises_bus_error() -> None:
    with pytest.raises(BusError):
        InProcessBus().subscribe("a..b", lambda t, e: None)


def test_publish_when_topic_has_wildcard_raises_bus_error() -> None:
    with pytest.raises(BusError):
        InProcessBus().publish("cmd.*", _ev(1))
