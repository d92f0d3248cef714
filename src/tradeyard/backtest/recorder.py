"""Listens to commands and execution reports and keeps what a backtest result needs."""

from __future__ import annotations

from tradeyard.backtest.trades import TradeBuilder
from tradeyard.events import BalanceUpdate, Event, Fill, OrderUpdate, SubmitOrder

__all__ = ["Recorder"]


class Recorder:
    """Subscribe `on_event` to `cmd.>` and `exec.>`.

    It sees every order's command and reports, so `on_event` is written for speed: type tests
    in the order of how often the events come, per-trader lists fetched with one dict lookup.
    """

    def __init__(self) -> None:
        self.orders: dict[str, list[OrderUpdate]] = {}
        self.fills: dict[str, list[Fill]] = {}
        self.trades: dict[str, TradeBuilder] = {}
        self._tags: dict[str, str] = {}

    def builder(self, trader: str) -> TradeBuilder:
        b = self.trades.get(trader)
        if b is None:
            b = self.trades[trader] = TradeBuilder(trader)
        return b

    def on_event(self, topic: str, event: Event) -> None:
        t = type(event)
        if t is OrderUpdate:
            orders = self.orders.get(event.trader)  # type: ignore[attr-defined]
            if orders is None:
                orders = self.orders[event.trader] = []  # type: ignore[attr-defined]
            orders.append(event)  # type: ignore[arg-type]
        elif t is Fill:
            self._on_fill(event)  # type: ignore[arg-type]
        elif t is SubmitOrder:
            self._tags[event.client_order_id] = event.tag  # type: ignore[attr-defined]
        elif t is BalanceUpdate and event.reason == "funding" and event.symbol:  # type: ignore[attr-defined]
            self.builder(event.trader).add_funding(event.symbol, -event.delta)  # type: ignore[attr-defined]

    def _on_fill(self, fill: Fill) -> None:
        fills = self.fills.get(fill.trader)
        if fills is None:
            fills = self.fills[fill.trader] = []
        fills.append(fill)
        b = self.trades.get(fill.trader)
        if b is None:
            b = self.builder(fill.trader)
        b.add_fill(fill, self._tags.get(fill.client_order_id, ""))
