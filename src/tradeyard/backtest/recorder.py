"""Listens to commands and execution reports and keeps what a backtest result needs."""

from __future__ import annotations

from tradeyard.backtest.trades import TradeBuilder
from tradeyard.events import BalanceUpdate, Event, Fill, OrderUpdate, SubmitOrder

__all__ = ["Recorder"]


class Recorder:
    """Subscribe `on_event` to `cmd.>` and `exec.>`."""

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
        if t is Fill:
            self.fills.setdefault(event.trader, []).append(event)  # type: ignore[attr-defined]
            self.builder(event.trader).add_fill(  # type: ignore[attr-defined]
                event, self._tags.get(event.client_order_id, "")
            )  # type: ignore[attr-defined, arg-type]
        elif t is OrderUpdate:
            self.orders.setdefault(event.trader, []).append(event)  # type: ignore[attr-defined]
        elif t is SubmitOrder:
            self._tags[event.client_order_id] = event.tag  # type: ignore[attr-defined]
        elif t is BalanceUpdate and event.reason == "funding" and event.symbol:  # type: ignore[attr-defined]
            self.builder(event.trader).add_funding(event.symbol, -event.delta)  # type: ignore[attr-defined]
