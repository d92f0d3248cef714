"""What a backtest produces: the records the metrics, the JSON output and the HTML report read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec
import numpy as np

from tradeyard.bots.sizing_record import SizingDecision
from tradeyard.events import Fill, OrderUpdate

__all__ = [
    "BacktestResult",
    "ClosedTrade",
    "EquityCurve",
    "Marker",
    "SkippedSignals",
    "SymbolChart",
    "rejected_orders",
    "skipped_signals",
]


class ClosedTrade(msgspec.Struct, frozen=True):
    """A round trip from flat to flat (a reversal closes one trade and opens the next).

    `pnl` is net: price PnL minus the fees of the entry and exit fills minus funding paid while open.
    `fees` and `funding` are the parts already taken out of `pnl`. Times are ms UTC.
    """

    trader: str
    symbol: str
    side: Literal["long", "short"]
    qty: float
    entry_time: int
    entry_price: float
    exit_time: int
    exit_price: float
    pnl: float
    fees: float
    funding: float = 0.0
    exit_reason: str = ""


class EquityCurve(msgspec.Struct):
    """Account equity (wallet + unrealized PnL) after every timestamp of the merged stream."""

    times: np.ndarray  # int64 ms UTC
    equity: np.ndarray  # float64


class Marker(msgspec.Struct, frozen=True):
    time: int
    price: float
    kind: Literal["entry_long", "entry_short", "exit_long", "exit_short"]
    text: str = ""


class SymbolChart(msgspec.Struct):
    """Candles (possibly a window of the run) with the strategy's indicator overlays."""

    symbol: str
    interval: str
    open_time: np.ndarray  # int64 ms
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    overlays: dict[str, np.ndarray] = msgspec.field(
        default_factory=dict
    )  # name -> values per candle
    markers: list[Marker] = msgspec.field(default_factory=list)


class SkippedSignals(msgspec.Struct, frozen=True):
    """The signals of one kind a trader could not turn into an order (`SizingDecision.skip_kind`):
    a wallet run dry, a position below one step, an order below the exchange's minimums, ..."""

    kind: str
    count: int
    first_time: int
    last_time: int
    example: str
    """The first one's decision in words (`SizingDecision.reason`)."""


def skipped_signals(decisions: Iterable[SizingDecision]) -> list[SkippedSignals]:
    """The skipped decisions counted by kind, in the order each kind first happened."""
    first: dict[str, SizingDecision] = {}
    last: dict[str, int] = {}
    count: dict[str, int] = {}
    for d in decisions:
        if d.status != "skipped" or not d.skip:
            continue
        kind = d.skip_kind or "other"
        if kind not in first:
            first[kind] = d
            count[kind] = 0
        count[kind] += 1
        last[kind] = d.ts
    return [
        SkippedSignals(kind, count[kind], d.ts, last[kind], f"{d.symbol}: {d.reason}")
        for kind, d in first.items()
    ]


def rejected_orders(updates: Iterable[OrderUpdate]) -> list[OrderUpdate]:
    """The orders the venue refused, on arrival or at their fill (not marginable at a gapped
    open, ...), in time order.

    A refused cancel is an OrderUpdate "rejected" too, but for an order already finished (or
    one the venue never knew, with no quantity): those are left out.
    """
    last: dict[str, str] = {}
    out = []
    for u in updates:
        before = last.get(u.client_order_id)
        last[u.client_order_id] = u.status
        if u.status == "rejected" and u.qty > 0.0 and before in (None, "new", "partially_filled"):
            out.append(u)
    return out


class BacktestResult(msgspec.Struct):
    """Everything one backtest run produced. `label` names the run in reports."""

    label: str
    starting_equity: float
    equity: EquityCurve
    trades: list[ClosedTrade]
    fills: list[Fill]
    orders: list[OrderUpdate]
    fees_paid: float
    funding_paid: float
    exposure: float  # fraction of timestamps with any open position, 0..1
    bars_processed: int
    charts: list[SymbolChart] = msgspec.field(default_factory=list)
    parameters: dict[str, object] = msgspec.field(default_factory=dict)
    metrics: dict[str, float] = msgspec.field(default_factory=dict)
    skipped: list[SkippedSignals] = msgspec.field(default_factory=list)
    """Signals the trader could not act on, by kind (`skipped_signals`)."""
