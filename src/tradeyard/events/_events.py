"""The vocabulary of tradeyard: one frozen msgspec Struct per event.

Every event carries `ts` (event time, ms since the Unix epoch, UTC). Events never change once
created. New fields go last, with defaults, so older journals still decode.

`gc=False` is safe because no event holds a reference cycle, and it makes creating the
hundreds of thousands of bars per second a backtest needs cheaper.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop", "take_profit"]
OrderStatus = Literal["new", "partially_filled", "filled", "canceled", "rejected", "expired"]
ControlAction = Literal["pause", "resume", "flatten", "set_params", "stop"]

NonNegFloat = Annotated[float, msgspec.Meta(ge=0.0)]
PosFloat = Annotated[float, msgspec.Meta(gt=0.0)]


class Event(msgspec.Struct, frozen=True, gc=False, tag_field="type", kw_only=False):
    """Base of every event. Subclasses are tagged by their class name in the `type` field."""


class Bar(Event, tag=True):
    """An OHLCV candle. `closed` is False for an in-progress (live) candle."""

    venue: str
    symbol: str
    interval: str
    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    closed: bool = True

    @property
    def ts(self) -> int:
        return self.close_time


class MarkPrice(Event, tag=True):
    venue: str
    symbol: str
    ts: int
    price: float
    index_price: float | None = None
    funding_rate: float | None = None
    next_funding_time: int | None = None


class Trade(Event, tag=True):
    """A public trade print."""

    venue: str
    symbol: str
    ts: int
    price: float
    qty: float
    side: Side
    trade_id: str = ""


class FundingRate(Event, tag=True):
    """A funding settlement: longs pay `rate` × notional to shorts when `rate` > 0."""

    venue: str
    symbol: str
    ts: int
    rate: float
    mark_price: float | None = None


class Signal(Event, tag=True):
    """What a strategy wants to hold on a symbol, and why.

    `target` is the desired exposure in [-1, 1]: +1 fully long, -1 fully short, 0 flat, as a
    fraction of what the following trader allocates. `entry` says how to get there (a market
    order filled at the next bar's open, or a limit order at `price`). `take_profit` and
    `stop_loss` are absolute prices for the protective orders the trader attaches on entry.
    `ref_price` is the last price the strategy saw (the trader sizes with it).
    """

    strategy: str
    symbol: str
    ts: int
    target: Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)]
    reason: str = ""
    entry: Literal["market", "limit"] = "market"
    price: float | None = None
    take_profit: float | None = None
    stop_loss: float | None = None
    ref_price: float | None = None
    venue: str = ""


class SubmitOrder(Event, tag=True):
    """A command to a venue. `client_order_id` is deterministic (trader id + sequence)."""

    trader: str
    venue: str
    symbol: str
    ts: int
    client_order_id: str
    side: Side
    order_type: OrderType
    qty: PosFloat
    price: float | None = None
    trigger_price: float | None = None
    reduce_only: bool = False
    time_in_force: Literal["GTC", "IOC", "GTX"] = "GTC"
    leverage: float | None = None
    parent_id: str | None = None
    oco_group: str | None = None
    tag: str = ""
    """Why the order exists, in words (the signal's reason, "take profit", ...)."""
    sizing: str = ""
    """How the trader sized it, in short (allocation, leverage, caps that bound it)."""
    take_profit: float | None = None
    stop_loss: float | None = None
    """The bracket exits an entry will get once it fills, when the trader sends them itself
    (exchanges). Informational for the venue; the order store keeps them with the intent, so
    a restarted trader still protects a position its entry opens."""


class CancelOrder(Event, tag=True):
    trader: str
    venue: str
    symbol: str
    ts: int
    client_order_id: str


class OrderUpdate(Event, tag=True):
    """Every state change of an order. `reason` explains rejections and cancels."""

    trader: str
    venue: str
    symbol: str
    ts: int
    client_order_id: str
    status: OrderStatus
    side: Side
    order_type: OrderType
    qty: float
    filled_qty: float = 0.0
    avg_price: float | None = None
    price: float | None = None
    trigger_price: float | None = None
    reduce_only: bool = False
    reason: str = ""
    venue_order_id: str = ""


class Fill(Event, tag=True):
    trader: str
    venue: str
    symbol: str
    ts: int
    client_order_id: str
    side: Side
    qty: float
    price: float
    fee: float
    liquidity: Literal["maker", "taker"]
    realized_pnl: float = 0.0
    fill_id: str = ""


class PositionUpdate(Event, tag=True):
    """A position after a change. `qty` is signed: > 0 long, < 0 short (one-way mode)."""

    trader: str
    venue: str
    symbol: str
    ts: int
    qty: float
    entry_price: float
    leverage: float = 1.0
    unrealized_pnl: float = 0.0
    liquidation_price: float | None = None


class BalanceUpdate(Event, tag=True):
    trader: str
    venue: str
    ts: int
    asset: str
    wallet_balance: float
    available_balance: float
    reason: str = ""
    delta: float = 0.0
    symbol: str = ""
    """The symbol a fill or funding payment concerns, when there is one."""


class Control(Event, tag=True):
    """A control message to one bot (`ctl.<bot>`)."""

    bot: str
    ts: int
    action: ControlAction
    params: dict[str, str | int | float | bool] = msgspec.field(default_factory=dict)
    reason: str = ""


AnyEvent = (
    Bar
    | MarkPrice
    | Trade
    | FundingRate
    | Signal
    | SubmitOrder
    | CancelOrder
    | OrderUpdate
    | Fill
    | PositionUpdate
    | BalanceUpdate
    | Control
)

EVENT_TYPES: tuple[type[Event], ...] = (
    Bar,
    MarkPrice,
    Trade,
    FundingRate,
    Signal,
    SubmitOrder,
    CancelOrder,
    OrderUpdate,
    Fill,
    PositionUpdate,
    BalanceUpdate,
    Control,
)
