"""Every topic string is built here, nowhere else.

Topics are dotted, NATS style: `md.<venue>.<symbol>.<kind>`, `sig.<strategy>.<symbol>`,
`cmd.<venue>`, `exec.<trader>`, `ctl.<bot>`. Patterns use `*` for one token and `>` for the
rest (only as the last token).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from tradeyard.errors import BusError

__all__ = [
    "bar",
    "command",
    "control",
    "execution",
    "funding",
    "mark_price",
    "market_data",
    "matches",
    "signal",
    "topic_for",
    "trade",
    "validate_pattern",
    "validate_topic",
]


def _token(name: str, value: str) -> str:
    if not value or any(c in value for c in ".*> \t\n"):
        raise BusError(
            f"topic token {name}={value!r} is empty or contains '.', '*', '>' or whitespace; "
            "use a plain identifier such as BTCUSDT"
        )
    return value


@lru_cache(maxsize=65_536)
def market_data(venue: str, symbol: str, kind: str) -> str:
    return f"md.{_token('venue', venue)}.{_token('symbol', symbol)}.{_token('kind', kind)}"


def bar(venue: str, symbol: str, interval: str) -> str:
    """Bars of one interval: `md.<venue>.<symbol>.bar_<interval>`, e.g. md.binanceusdm.BTCUSDT.bar_1m."""
    return market_data(venue, symbol, f"bar_{_token('interval', interval)}")


def mark_price(venue: str, symbol: str) -> str:
    return market_data(venue, symbol, "mark")


def trade(venue: str, symbol: str) -> str:
    return market_data(venue, symbol, "trade")


def funding(venue: str, symbol: str) -> str:
    return market_data(venue, symbol, "funding")


@lru_cache(maxsize=65_536)
def signal(strategy: str, symbol: str) -> str:
    return f"sig.{_token('strategy', strategy)}.{_token('symbol', symbol)}"


@lru_cache(maxsize=65_536)
def command(venue: str) -> str:
    return f"cmd.{_token('venue', venue)}"


@lru_cache(maxsize=65_536)
def execution(trader: str) -> str:
    return f"exec.{_token('trader', trader)}"


@lru_cache(maxsize=65_536)
def control(bot: str) -> str:
    return f"ctl.{_token('bot', bot)}"


def validate_topic(topic: str) -> str:
    """A concrete topic: non-empty tokens, no wildcards."""
    tokens = topic.split(".")
    if not topic or any(not t or t in ("*", ">") or " " in t for t in tokens):
        raise BusError(
            f"topic {topic!r} is malformed: expected dot-separated non-empty tokens, no wildcards"
        )
    return topic


def validate_pattern(pattern: str) -> str:
    tokens = pattern.split(".")
    for i, t in enumerate(tokens):
        if not t or (">" in t and (t != ">" or i != len(tokens) - 1)) or ("*" in t and t != "*"):
            raise BusError(
                f"pattern {pattern!r} is malformed at token {i}: '*' must stand alone and '>' only "
                "as the last token (e.g. 'md.*.BTCUSDT.>')"
            )
    return pattern


def matches(pattern: str, topic: str) -> bool:
    """True when `topic` matches the NATS-style `pattern`."""
    p = pattern.split(".")
    t = topic.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(t) > i
        if i >= len(t) or (tok != "*" and tok != t[i]):
            return False
    return len(p) == len(t)


def topic_for(event: object) -> str:
    """The topic an event is published on when a bot emits it."""
    route = _ROUTES.get(type(event))
    if route is None:
        _build_routes()
        route = _ROUTES.get(type(event))
        if route is None:
            raise BusError(
                f"no topic for {type(event).__name__}: expected one of the tradeyard events"
            )
    return route(event)


_ROUTES: dict[type, Callable[[Any], str]] = {}


def _build_routes() -> None:
    # Built lazily: _events imports nothing from here, and this keeps the import graph one-way.
    from tradeyard.events import _events as ev

    _ROUTES.update(
        {
            ev.Signal: lambda e: signal(e.strategy, e.symbol),
            ev.SubmitOrder: lambda e: command(e.venue),
            ev.CancelOrder: lambda e: command(e.venue),
            ev.OrderUpdate: lambda e: execution(e.trader),
            ev.Fill: lambda e: execution(e.trader),
            ev.PositionUpdate: lambda e: execution(e.trader),
            ev.BalanceUpdate: lambda e: execution(e.trader),
            ev.Control: lambda e: control(e.bot),
            ev.Bar: lambda e: bar(e.venue, e.symbol, e.interval),
            ev.MarkPrice: lambda e: mark_price(e.venue, e.symbol),
            ev.Trade: lambda e: trade(e.venue, e.symbol),
            ev.FundingRate: lambda e: funding(e.venue, e.symbol),
        }
    )
